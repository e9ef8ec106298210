using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace SnnServe.Training.Native;

/// <summary>
/// Makes TorchSharp 0.107's native library load on distributions whose libstdc++ predates GCC 13
/// (Debian 12). <c>libLibTorchSharp.so</c> asks for symbol version <c>GLIBCXX_3.4.32</c> for exactly
/// one symbol (<c>std::ios_base_library_init()</c>, which the library never needs to resolve
/// through that version); glibc refuses the whole library when the version is missing, unless the
/// requirement is marked weak. This sets <c>VER_FLG_WEAK</c> (0x2) in that one <c>Vernaux</c> entry
/// of <c>.gnu.version_r</c> in the copy next to the application — only on Linux, only when the
/// system's libstdc++ lacks the version, and idempotently. Builds copy the original back, so it
/// runs at every start, before the first TorchSharp call.
/// </summary>
public static class LibTorchSharpCompat
{
    private const string Version = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibStdCxxCandidates =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    ];

    /// <summary>Patches the application's copies of libLibTorchSharp.so where needed; returns the files patched.</summary>
    public static IReadOnlyList<string> EnsureLoadable()
    {
        if (!OperatingSystem.IsLinux() || SystemHasVersion())
        {
            return [];
        }

        var patched = new List<string>();
        foreach (string path in Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            if (MarkWeak(path))
            {
                patched.Add(path);
            }
        }

        return patched;
    }

    /// <summary>True when the system's libstdc++ defines <c>GLIBCXX_3.4.32</c> (GCC 13 or later).</summary>
    public static bool SystemHasVersion()
    {
        string? library = LibStdCxxCandidates.FirstOrDefault(File.Exists);
        return library is null || Contains(File.ReadAllBytes(library), Encoding.ASCII.GetBytes(Version + "\0"));
    }

    /// <summary>
    /// Sets the weak flag on the <c>GLIBCXX_3.4.32</c> requirement of the ELF64 file at
    /// <paramref name="path"/>. Returns true when the file was changed, false when it already was
    /// weak or has no such requirement.
    /// </summary>
    public static bool MarkWeak(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        int offset = FindRequirementFlags(elf);
        if (offset < 0)
        {
            return false;
        }

        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(offset));
        if ((flags & VerFlgWeak) != 0)
        {
            return false;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        file.Position = offset;
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)(flags | VerFlgWeak));
        file.Write(bytes);
        return true;
    }

    /// <summary>Is the requirement already weak (or absent)?</summary>
    public static bool IsWeakOrAbsent(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        int offset = FindRequirementFlags(elf);
        return offset < 0 || (BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(offset)) & VerFlgWeak) != 0;
    }

    // File offset of vna_flags of the Vernaux entry naming GLIBCXX_3.4.32, or -1.
    private static int FindRequirementFlags(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F' || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("not a little-endian ELF64 file");
        }

        ReadOnlySpan<byte> span = elf;
        long sectionTable = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> header = span.Slice((int)(sectionTable + (long)i * entrySize), 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed)
            {
                continue;
            }

            int verneed = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
            int needCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[44..]);
            ReadOnlySpan<byte> strings = span.Slice((int)(sectionTable + (long)link * entrySize), 64);
            int stringTable = (int)BinaryPrimitives.ReadUInt64LittleEndian(strings[24..]);

            int need = verneed;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
                int aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = stringTable + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    if (CString(span, name) == Version)
                    {
                        return aux + 4;
                    }

                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }

                need += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
            }
        }

        return -1;
    }

    private static string CString(ReadOnlySpan<byte> span, int offset)
    {
        int end = span[offset..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(span.Slice(offset, end));
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
