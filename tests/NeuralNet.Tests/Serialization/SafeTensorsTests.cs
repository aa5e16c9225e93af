using System.Buffers.Binary;
using System.Text;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Serialization.SafeTensorsTestFiles;

namespace NeuralNet.Tests.Serialization;

public class SafeTensorsTests
{
    [Fact]
    public void Write_SampleTensors_StrictSpecReaderParsesThemBitForBit()
    {
        var (tensors, metadata) = Sample(11);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);

        var parsed = StrictSafeTensorsReader.Parse(stream.ToArray());

        Assert.Equal(tensors.Select(t => t.Key), parsed.Tensors.Select(t => t.Name));
        for (int i = 0; i < tensors.Count; i++)
        {
            Assert.Equal(tensors[i].Value.Shape.Dimensions.ToArray(), parsed.Tensors[i].Shape);
            Assert.Equal(Bits(tensors[i].Value.ToArray()), Bits(parsed.Tensors[i].Values));
        }

        Assert.Equal(metadata, parsed.Metadata);
        Assert.Equal(0, parsed.HeaderSize % 8);
    }

    [Fact]
    public void Write_TensorView_WritesOnlyTheViewedElements()
    {
        var whole = Tensor.FromArray([1, 2, 3, 4, 5, 6], 3, 2);
        using var stream = new MemoryStream();

        SafeTensors.Write(stream, [new("view", whole.Slice(1, 2))]);

        var parsed = StrictSafeTensorsReader.Parse(stream.ToArray());
        Assert.Equal(new float[] { 3, 4, 5, 6 }, parsed.Tensors[0].Values);
        Assert.Equal(new[] { 2, 2 }, parsed.Tensors[0].Shape);
    }

    [Fact]
    public void Read_WhatWriteWrote_RoundTripsNamesShapesBitsAndMetadata()
    {
        var (tensors, metadata) = Sample(12);

        var file = Read(SampleBytes(12));

        Assert.Equal(tensors.Select(t => t.Key), file.Names);
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.Shape, file[name].Shape);
            Assert.Equal(Bits(tensor.ToArray()), Bits(file[name].ToArray()));
        }

        Assert.Equal(metadata, file.Metadata);
    }

    [Fact]
    public void SaveAndLoad_File_RoundTripsAndLeavesNoTemporaryFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        var (tensors, metadata) = Sample(13);

        SafeTensors.Save(path, tensors, metadata);
        SafeTensors.Save(path, tensors, metadata);
        var file = SafeTensors.Load(path);

        Assert.Equal(Bits(tensors[0].Value.ToArray()), Bits(file["dense/kernel"].ToArray()));
        Assert.Equal(["w.safetensors"], dir.Entries());
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(dir.File("nope.safetensors")));
    }

    [Fact]
    public void Read_NonSeekableStream_ReadsTheSameTensors()
    {
        byte[] bytes = SampleBytes(14);

        var file = SafeTensors.Read(new NonSeekableStream(bytes), "pipe");

        Assert.Equal(Bits(Read(bytes)["dense/bias"].ToArray()), Bits(file["dense/bias"].ToArray()));
    }

    [Fact]
    public void Write_DuplicateName_ThrowsNamingIt()
    {
        var t = Tensor.Ones(2);
        var ex = Assert.Throws<ArgumentException>(() => SafeTensors.Write(Stream.Null, [new("a", t), new("a", t)]));
        Assert.Contains("'a' appears twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ReservedMetadataName_Throws()
    {
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(Stream.Null, [new("__metadata__", Tensor.Ones(1))]));
    }

    [Fact]
    public void Read_OffsetsListedOutOfOrderButTiling_IsAccepted()
    {
        byte[] file = Raw(
            """{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""",
            Floats(1, 2));

        var read = Read(file);

        Assert.Equal(["a", "b"], read.Names);
        Assert.Equal(2f, read["b"][0]);
    }

    [Fact]
    public void Read_UnknownFieldAndNullMetadata_AreIgnored()
    {
        byte[] file = Raw("""{"__metadata__":null,"a":{"dtype":"F32","future":{"x":[1,2]},"shape":[2],"data_offsets":[0,8]}}""", Floats(5, 6));

        Assert.Equal(6f, Read(file)["a"][1]);
    }

    [Theory]
    [InlineData("F64", 8)]
    [InlineData("F16", 2)]
    [InlineData("BF16", 2)]
    [InlineData("I64", 8)]
    [InlineData("I32", 4)]
    [InlineData("U8", 1)]
    [InlineData("I8", 1)]
    [InlineData("BOOL", 1)]
    public void Read_OtherDtypes_ConvertToFloat32(string dtype, int size)
    {
        float[] expected = dtype == "BOOL" ? [1, 0, 1] : [2, dtype.StartsWith('U') ? 0 : -3, 5];
        var buffer = new byte[3 * size];
        for (int i = 0; i < 3; i++)
        {
            var span = buffer.AsSpan(i * size, size);
            switch (dtype)
            {
                case "F64": BinaryPrimitives.WriteDoubleLittleEndian(span, expected[i]); break;
                case "F16": BinaryPrimitives.WriteHalfLittleEndian(span, (Half)expected[i]); break;
                case "BF16": BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BitConverter.SingleToUInt32Bits(expected[i]) >> 16)); break;
                case "I64": BinaryPrimitives.WriteInt64LittleEndian(span, (long)expected[i]); break;
                case "I32": BinaryPrimitives.WriteInt32LittleEndian(span, (int)expected[i]); break;
                default: span[0] = (byte)(sbyte)expected[i]; break;
            }
        }

        var file = Read(Raw($$$"""{"t":{"dtype":"{{{dtype}}}","shape":[3],"data_offsets":[0,{{{buffer.Length}}}]}}""", buffer));

        Assert.Equal(expected, file["t"].ToArray());
    }

    public static TheoryData<string, byte[], string?, string> BadFiles()
    {
        const string One = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        byte[] valid = Raw(One, Floats(1, 2));
        var data = new TheoryData<string, byte[], string?, string>
        {
            { "empty file", [], null, "0 bytes long" },
            { "shorter than the size prefix", [1, 0, 0], null, "3 bytes long" },
            { "truncated in the header", valid[..20], null, "only 12 bytes follow" },
            { "truncated in the data", valid[..^1], "a", "reach past the end of the 7-byte data buffer" },
            { "header size huge", Raw(One, Floats(1, 2), ulong.MaxValue), null, "header size is 18446744073709551615" },
            { "header size too small", Raw("{}", [], 1), null, "too small" },
            { "header size lies short", Raw(One, Floats(1, 2), 10), null, "not valid JSON" },
            { "trailing bytes", Raw(One, Floats(1, 2, 3)), null, "4 bytes belong to no tensor" },
            { "offsets past the end", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", Floats(1, 2)), "a", "reach past the end" },
            { "offsets reversed", Raw("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", Floats(1, 2)), "a", "end before they begin" },
            {
                "overlapping ranges",
                Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", Floats(1, 2, 3)),
                "b", "overlap tensor 'a'"
            },
            {
                "gap between ranges",
                Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", Floats(1, 2, 3)),
                "b", "gap of 4 bytes"
            },
            { "negative dimension", Raw("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "shape[0] is -2" },
            { "fractional dimension", Raw("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "shape[0] is 1.5" },
            { "huge dimension", Raw("""{"a":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "more than NeuralNet supports" },
            { "huge element count", Raw("""{"a":{"dtype":"F32","shape":[2000000000,2000000000,2000000000],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "more elements than the 8-byte data buffer can hold" },
            { "dimension beyond 2^63", Raw("""{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "non-negative integer" },
            { "byte length mismatch", Raw("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "span 8 bytes but dtype F32 and shape [3] need 12" },
            { "unknown dtype", Raw("""{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "unknown dtype \"F33\"" },
            { "unconvertible dtype", Raw("""{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "cannot be converted to float32" },
            { "zero-size tensor", Raw("""{"a":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2)), "a", "cannot be empty" },
            { "invalid JSON", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", Floats(1, 2)), null, "not valid JSON" },
            { "JSON array header", Raw("[1, 2]  ", Floats(1, 2)), null, "not a JSON object" },
            { "garbage after the object", Raw(One + "x", Floats(1, 2)), null, "not valid JSON" },
            { "duplicate tensor", Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", Floats(1, 2)), "a", "names this tensor twice" },
            { "missing offsets", Raw("""{"a":{"dtype":"F32","shape":[2]}}""", Floats(1, 2)), "a", "has no data_offsets" },
            { "three offsets", Raw("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}""", Floats(1, 2)), "a", "more than 2 values" },
            { "entry not an object", Raw("""{"a":[1,2]}""", []), "a", "must be an object" },
            { "metadata not strings", Raw("""{"__metadata__":{"k":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2)), null, "metadata \"k\" must be a string but is a number" },
            { "lone surrogate in a name", Raw("""{"\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2)), null, "not a valid string" },
            { "too deeply nested", Raw("""{"a":{"dtype":"F32","x":[[[[[[[[[[[[1]]]]]]]]]]]],"shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2)), null, "not valid JSON" },
        };
        byte[] badUtf8 = Encoding.UTF8.GetBytes(One);
        badUtf8[3] = 0xFF;
        data.Add("invalid UTF-8", Raw(badUtf8, Floats(1, 2)), null, "not valid UTF-8");

        // Other formats handed to the safetensors reader (a trial passed a Keras .weights.h5 file to Model.LoadWeights and
        // read "the header size is 727905341903489161 bytes"): the message says what the file is and which reader takes it.
        byte[] hdf5 = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0];
        data.Add("an HDF5 file (Keras .weights.h5)", hdf5, null, "it is an HDF5 file, not a safetensors file: Keras' .weights.h5 and Keras 2's .h5 files are read by the NeuralNet.Keras package (KerasFormat.LoadWeights");
        data.Add("a zip archive (.keras)", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0], null, "it is a zip archive, not a safetensors file: a Keras .keras archive is read by the NeuralNet.Keras package (KerasFormat.LoadModel");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Read_BadFile_ThrowsInvalidDataNamingFileTensorAndProblem(string description, byte[] file, string? tensor, string problem)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Read(file, "bad.safetensors"));

        Assert.StartsWith("'bad.safetensors': ", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Contains(problem, StringComparison.Ordinal), $"{description}: message was {ex.Message}");
        Assert.Equal("bad.safetensors", ex.Data[FormatError.FileKey]);
        if (tensor is not null)
        {
            Assert.Contains($"tensor '{tensor}'", ex.Message, StringComparison.Ordinal);
            Assert.Equal(tensor, ex.Data[FormatError.TensorKey]);
        }
    }

    [Fact]
    public void Load_BadFileOnDisk_MessageNamesThePath()
    {
        using var dir = new TempDirectory();
        string path = dir.File("broken.safetensors");
        File.WriteAllBytes(path, SampleBytes(15)[..100]);

        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indexer_MissingTensor_ThrowsListingAvailableNames()
    {
        var file = Read(SampleBytes(16));
        var ex = Assert.Throws<KeyNotFoundException>(() => file["nope"]);
        Assert.Contains("dense/kernel", ex.Message, StringComparison.Ordinal);
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
