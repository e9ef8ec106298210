using System.Buffers.Binary;
using System.Text;

using System.Text.Json;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// Writes F32 tensors in the safetensors format, in the order given, header padded with spaces
/// to an 8-byte boundary as the reference implementation does. Used by the trainer's exporter
/// and by tests that build models.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Serialises <paramref name="tensors"/> (and optional string metadata) to bytes.</summary>
    public static byte[] Write(IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (TensorData t in list)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int dim in t.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += t.Values.Length * 4L;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        byte[] header = headerStream.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        long dataLength = list.Sum(t => t.Values.Length * 4L);
        var output = new byte[8 + padded + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(output, (ulong)padded);
        header.CopyTo(output, 8);
        Encoding.ASCII.GetBytes(new string(' ', padded - header.Length)).CopyTo(output, 8 + header.Length);
        int position = 8 + padded;
        foreach (TensorData t in list)
        {
            foreach (float v in t.Values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(output.AsSpan(position, 4), v);
                position += 4;
            }
        }

        return output;
    }
}
