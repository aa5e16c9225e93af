using System.Text;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

/// <summary>
/// FarmHash Fingerprint64 and SipHash-2-4 against their published vectors: farmhash's own self-test table, TensorFlow's
/// fingerprint_test.cc, and the SipHash reference implementation's vectors.h.
/// </summary>
public class HashFunctionTests
{
    private const ulong K0 = 0xc3a5c85c97cb3127UL;
    private const ulong K2 = 0x9ae16a3b2f90404fUL;
    private const uint C1 = 0xcc9e2d51;

    // The reference implementation's vectors_sip64 (github.com/veorq/SipHash vectors.h): SipHash-2-4 of the messages
    // 00, 00 01, 00 01 02, ... (0 to 63 bytes) under the key 00 01 .. 0f, each output as 8 little-endian bytes.
    private static readonly string[] s_sip64 =
    [
        "310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785", "b7877127e09427cf", "8da699cd64557618",
        "cee3fe586e46c9cb", "37d1018bf50002ab", "6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4",
        "fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7", "e545be4961ca29a1", "db9bc2577fcc2a3f", "9447be2cf5e99a69",
        "9cd38d96f0b3c14b", "bd6179a71dc96dbb", "98eea21af25cd6be", "c7673b2eb0cbf2d0", "883ea3e395675393", "c8ce5ccd8c030ca8",
        "94af49f6c650adb8", "eab8858ade92e1bc", "f315bb5bb835d817", "adcf6b0763612e2f", "a5c91da7acaa4dde", "716595876650a2a6",
        "28ef495c53a387ad", "42c341d8fa92d832", "ce7cf2722f512771", "e37859f94623f3a7", "381205bb1ab0e012", "ae97a10fd434e015",
        "b4a31508beff4d31", "81396229f0907902", "4d0cf49ee5d4dcca", "5c73336a76d8bf9a", "d0a704536ba93e0e", "925958fcd6420cad",
        "a915c29bc8067318", "952b79f3bc0aa6d4", "f21df2e41d4535f9", "87577519048f53a9", "10a56cf5dfcd9adb", "eb75095ccd986cd0",
        "51a9cb9ecba312e6", "96afadfc2ce666c7", "72fe52975a4364ee", "5a1645b276d592a1", "b274cb8ebf87870a", "6f9bb4203de7b381",
        "eaecb2a30b22a87f", "9924a43cc1315724", "bd838d3aafbf8db7", "0b1a2a3265d51aea", "135079a3231ce660", "932b2846e4d70666",
        "e1915f5cb1eca46c", "f325965ca16d629f", "575ff28e60381be5", "724506eb4c328a95",
    ];

    [Fact]
    public void Fingerprint64_FarmHashSelfTestTable_MatchesEveryEntry()
    {
        byte[] data = SelfTestData(1 << 15);
        uint[] expected = FarmHashNaVectors.Expected;
        Assert.Equal(164 * 6, expected.Length);
        for (int i = 0; i < expected.Length / 6; i++)
        {
            // farmhashnaTest::Test(offset = i * i, len = i) checks three hashes, high half first.
            int offset = i * i;
            ReadOnlySpan<byte> s = data.AsSpan(offset, i);
            ulong hash = FarmHash.Fingerprint64(s);
            ulong seeds = HashLen16(hash - CreateSeed(offset, 0), CreateSeed(offset, 1));
            ulong seed = HashLen16(hash - K2, CreateSeed(offset, -1));
            Assert.Equal((expected[6 * i], expected[(6 * i) + 1]), Halves(seeds));
            Assert.Equal((expected[(6 * i) + 2], expected[(6 * i) + 3]), Halves(seed));
            Assert.True((expected[(6 * i) + 4], expected[(6 * i) + 5]) == Halves(hash), $"Hash64 of length {i} at offset {offset}: {hash:x16}");
        }
    }

    [Theory]
    [InlineData("Hello", 15404698994557526151UL)]
    [InlineData("World", 18308117990299812472UL)]
    public void Fingerprint64_TensorFlowFrozenValues_Match(string text, ulong expected) =>
        Assert.Equal(expected, FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Fingerprint64_Empty_IsK2() => Assert.Equal(K2, FarmHash.Fingerprint64([]));

    [Fact]
    public void SipHash24_ReferenceVectors_MatchAll64()
    {
        const ulong k0 = 0x0706050403020100UL, k1 = 0x0f0e0d0c0b0a0908UL;
        byte[] message = new byte[64];
        for (int i = 0; i < message.Length; i++)
        {
            message[i] = (byte)i;
        }

        for (int length = 0; length < 64; length++)
        {
            ulong expected = BitConverter.ToUInt64(Convert.FromHexString(s_sip64[length]));
            Assert.True(expected == SipHash.Hash24(k0, k1, message.AsSpan(0, length)), $"SipHash-2-4 of {length} bytes");
        }

        // The paper's example (Appendix A): the 15-byte message 00 .. 0e gives a129ca6149be45e5.
        Assert.Equal(0xa129ca6149be45e5UL, SipHash.Hash24(k0, k1, message.AsSpan(0, 15)));
    }

    [Fact]
    public void FingerprintCat64_TensorFlowFormula_HoldsAndIsNotCommutative()
    {
        // TensorFlow's fingerprint.h, written out in 64-bit arithmetic with BigInteger as the plain reference.
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            ulong a = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40), b = (ulong)rng.NextInt64();
            Assert.Equal(ReferenceCat(a, b), FarmHash.FingerprintCat64(a, b));
        }

        Assert.NotEqual(FarmHash.FingerprintCat64(1, 2), FarmHash.FingerprintCat64(2, 1));
    }

    private static ulong ReferenceCat(ulong fp1, ulong fp2)
    {
        System.Numerics.BigInteger mask = ulong.MaxValue, mul = 0xc6a4a7935bd1e995UL;
        static System.Numerics.BigInteger ShiftMix(System.Numerics.BigInteger v) => v ^ (v >> 47);
        System.Numerics.BigInteger result = fp1 ^ mul;
        result ^= (ShiftMix((fp2 * mul) & mask) * mul) & mask;
        result = (result * mul) & mask;
        result = (ShiftMix(result) * mul) & mask;
        return (ulong)ShiftMix(result);
    }

    // farmhash's self-test Setup(): the pseudo-random bytes every table entry hashes.
    private static byte[] SelfTestData(int size)
    {
        var data = new byte[size];
        ulong a = 9, b = 777;
        for (int i = 0; i < size; i++)
        {
            a += b;
            b += a;
            a = (a ^ (a >> 41)) * K0;
            b = ((b ^ (b >> 41)) * K0) + (ulong)i;
            data[i] = (byte)(b >> 37);
        }

        return data;
    }

    // farmhashnaTest::CreateSeed.
    private static ulong CreateSeed(int offset, int salt)
    {
        uint h = unchecked((uint)salt);
        for (int round = 0; round < 3; round++)
        {
            h *= C1;
            h ^= h >> 17;
        }

        h += unchecked((uint)offset);
        for (int round = 0; round < 3; round++)
        {
            h *= C1;
            h ^= h >> 17;
        }

        return h;
    }

    // farmhash's Hash128to64(Uint128(u, v)), the two-argument HashLen16 of Hash64WithSeeds.
    private static ulong HashLen16(ulong u, ulong v)
    {
        const ulong mul = 0x9ddfea08eb382d69UL;
        ulong a = (u ^ v) * mul;
        a ^= a >> 47;
        ulong b = (v ^ a) * mul;
        b ^= b >> 47;
        return b * mul;
    }

    private static (uint High, uint Low) Halves(ulong value) => ((uint)(value >> 32), (uint)value);
}
