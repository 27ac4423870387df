using System.Buffers.Binary;
using System.Text;

namespace HardNegOT.Torch.Tests;

/// <summary>One Vernaux entry of an ELF file's .gnu.version_r section.</summary>
internal sealed record VersionNeed(string File, string Version, ushort Flags)
{
    public const ushort WeakFlag = 0x2; // VER_FLG_WEAK

    public bool IsWeak => (Flags & WeakFlag) != 0;
}

/// <summary>
/// Minimal ELF64 little-endian reader for version needs, independent of the build's patch
/// tool (which finds the section by type; this one finds it by name) so each checks the other.
/// </summary>
internal static class ElfVersionNeeds
{
    public static IReadOnlyList<VersionNeed> Read(string path) => Read(File.ReadAllBytes(path));

    public static IReadOnlyList<VersionNeed> Read(byte[] elf)
    {
        if (elf.Length < 64 || !elf.AsSpan(0, 4).SequenceEqual("\u007fELF"u8))
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("not ELF64 little-endian");
        }

        var shoff = checked((int)U64(elf, 0x28));
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C), shstrndx = U16(elf, 0x3E);
        int Header(int index) => shoff + index * shentsize;
        int SectionOffset(int index) => checked((int)U64(elf, Header(index) + 0x18));

        var names = SectionOffset(shstrndx);
        var needs = new List<VersionNeed>();
        for (var i = 0; i < shnum; i++)
        {
            if (CString(elf, names + (int)U32(elf, Header(i))) != ".gnu.version_r")
            {
                continue;
            }

            var strings = SectionOffset((int)U32(elf, Header(i) + 0x28)); // sh_link -> .dynstr
            var count = (int)U32(elf, Header(i) + 0x2C); // sh_info = number of Verneed entries
            var vn = SectionOffset(i);
            for (var n = 0; n < count; n++)
            {
                // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                var file = CString(elf, strings + (int)U32(elf, vn + 4));
                var aux = vn + (int)U32(elf, vn + 8);
                for (var a = 0; a < U16(elf, vn + 2); a++)
                {
                    // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    needs.Add(new VersionNeed(file, CString(elf, strings + (int)U32(elf, aux + 8)), U16(elf, aux + 4)));
                    aux += (int)U32(elf, aux + 12);
                }

                vn += (int)U32(elf, vn + 12);
            }
        }

        return needs;
    }

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));

    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));

    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));

    private static string CString(byte[] b, int at)
    {
        var rest = b.AsSpan(at);
        return Encoding.ASCII.GetString(rest[..rest.IndexOf((byte)0)]);
    }
}
