using System.Buffers.Binary;
using System.IO.Compression;

namespace SnnServe.Training.Data;

/// <summary>
/// The IDX format of the original MNIST distribution: a big-endian magic (0x00 0x00 type rank),
/// big-endian dimension sizes, then the data. Files ending in <c>.gz</c> are gzip-compressed.
/// Only unsigned bytes (type 0x08) are read and written, as MNIST uses.
/// </summary>
public static class IdxFile
{
    /// <summary>Reads an IDX file of unsigned bytes; returns its dimensions and data.</summary>
    public static (int[] Dimensions, byte[] Data) Read(string path)
    {
        using Stream file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        byte[] bytes = memory.ToArray();
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
        {
            throw new InvalidDataException($"{path}: not an IDX file of unsigned bytes");
        }

        int rank = bytes[3];
        var dimensions = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            count *= dimensions[d];
        }

        int header = 4 + 4 * rank;
        if (bytes.Length - header != count)
        {
            throw new InvalidDataException($"{path}: header says {count} bytes of data, file has {bytes.Length - header}");
        }

        return (dimensions, bytes[header..]);
    }

    /// <summary>Writes an IDX file of unsigned bytes (gzip-compressed when the name ends in .gz).</summary>
    public static void Write(string path, int[] dimensions, byte[] data)
    {
        using Stream file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        Span<byte> header = stackalloc byte[4 + 4 * dimensions.Length];
        header[2] = 0x08;
        header[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * d)..], dimensions[d]);
        }

        stream.Write(header);
        stream.Write(data);
    }
}
