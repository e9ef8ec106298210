namespace SnnServe.Runtime.Network;

/// <summary>One stage of the compiled network, mapping an input map to an output map per timestep.</summary>
public abstract class NetworkLayer
{
    protected NetworkLayer(string name, Shape3 input, Shape3 output)
    {
        Name = name;
        Input = input;
        Output = output;
    }

    /// <summary>Layer name from the manifest.</summary>
    public string Name { get; }

    public Shape3 Input { get; }
    public Shape3 Output { get; }

    /// <summary>True when the outputs are spikes that count towards the request's spike total.</summary>
    public abstract bool Spiking { get; }
}
