using System.Buffers.Binary;
using System.Text.Json;
using SnnServe.Runtime.Errors;

namespace SnnServe.Runtime.Repository;

/// <summary>
/// Reads the safetensors format (an 8-byte little-endian header length, a JSON header mapping
/// tensor names to dtype, shape and byte offsets, then the raw little-endian data). Only F32
/// tensors are accepted; every structural property is checked so a truncated or hostile file
/// fails with an error that names the tensor and field instead of reading out of bounds.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>Largest header accepted. Defaults to 100 MB, as the reference implementation.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Reads every tensor of <paramref name="bytes"/>; <paramref name="fileName"/> appears in errors.</summary>
    public static IReadOnlyDictionary<string, TensorData> Read(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (bytes.Length < 8)
        {
            throw new ModelLoadException(fileName, "header", $"file is {bytes.Length} bytes, shorter than the 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
        {
            throw new ModelLoadException(fileName, "header", $"header length {headerLength} exceeds the file ({bytes.Length} bytes)");
        }

        ReadOnlySpan<byte> data = bytes[(8 + (int)headerLength)..];
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(bytes.Slice(8, (int)headerLength).ToArray());
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException(fileName, "header", "header is not valid JSON: " + ex.Message, ex);
        }

        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(fileName, "header", "header is not a JSON object");
            }

            var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (JsonProperty entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }

                TensorData tensor = ReadTensor(entry, data, fileName, out long begin, out long end);
                tensors[entry.Name] = tensor;
                ranges.Add((begin, end, entry.Name));
            }

            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (int i = 1; i < ranges.Count; i++)
            {
                if (ranges[i].Begin < ranges[i - 1].End)
                {
                    throw new ModelLoadException(fileName, ranges[i].Name + ".data_offsets", $"overlaps tensor '{ranges[i - 1].Name}'");
                }
            }

            return tensors;
        }
    }

    private static TensorData ReadTensor(JsonProperty entry, ReadOnlySpan<byte> data, string fileName, out long begin, out long end)
    {
        string name = entry.Name;
        JsonElement info = entry.Value;
        if (info.ValueKind != JsonValueKind.Object)
        {
            throw new ModelLoadException(fileName, name, "tensor entry is not an object");
        }

        if (!info.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String)
        {
            throw new ModelLoadException(fileName, name + ".dtype", "missing");
        }

        if (dtype.GetString() != "F32")
        {
            throw new ModelLoadException(fileName, name + ".dtype", $"is '{dtype.GetString()}', only F32 is supported");
        }

        if (!info.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw new ModelLoadException(fileName, name + ".shape", "missing or not an array");
        }

        var shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int d = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt32(out int size) || size < 0)
            {
                throw new ModelLoadException(fileName, name + ".shape", "dimensions must be non-negative integers");
            }

            shape[d++] = size;
            count *= size;
            if (count > int.MaxValue / 4)
            {
                throw new ModelLoadException(fileName, name + ".shape", "tensor is too large");
            }
        }

        if (!info.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out begin) || !offsets[1].TryGetInt64(out end))
        {
            throw new ModelLoadException(fileName, name + ".data_offsets", "missing or not a pair of integers");
        }

        if (begin < 0 || end < begin || end > data.Length)
        {
            throw new ModelLoadException(fileName, name + ".data_offsets", $"[{begin}, {end}] lies outside the data section ({data.Length} bytes)");
        }

        if (end - begin != count * 4)
        {
            throw new ModelLoadException(fileName, name + ".data_offsets", $"covers {end - begin} bytes but shape {string.Join('x', shape)} of F32 needs {count * 4}");
        }

        var values = new float[count];
        ReadOnlySpan<byte> raw = data.Slice((int)begin, (int)(end - begin));
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4, 4));
        }

        return new TensorData(name, shape, values);
    }
}
