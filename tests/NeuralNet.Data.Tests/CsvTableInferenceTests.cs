using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// <see cref="CsvReadOptions.InferColumnTypes"/>: numeric when every non-missing field is a number, categorical
/// otherwise (TF's make_csv_dataset infers from num_rows_for_inference rows, pandas' read_csv from the whole file);
/// expected tensors worked out by hand from the files below.
/// </summary>
public class CsvTableInferenceTests
{
    private static int[] Bits(IEnumerable<float> values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    private static Dictionary<string, string> Defaults(params (string Column, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Column, p => p.Value, StringComparer.Ordinal);

    [Fact]
    public void Read_MixedColumnsWithMarkersAndQuotes_TextColumnsCategoricalNumbersAsThey()
    {
        const string text = "id,colour,size,weight,y\n1,red,2.5,NA,yes\n2,\"blue, dark\",?,3,no\n3,red,-1e1,\"4.5\",yes\n";
        var options = new CsvReadOptions { InferColumnTypes = true, NaValues = ["NA", "?"], MissingNumbersAsNaN = true, LabelColumns = ["y"] };

        CsvData data = CsvTable.Read(new StringReader(text), options);

        // colour: "blue, dark" (0) sorts before "red" (1); y: "no" (0), "yes" (1); the markers read as NaN.
        Assert.Equal(Bits([1f, 1f, 2.5f, float.NaN, 2f, 0f, float.NaN, 3f, 3f, 1f, -10f, 4.5f]), Bits(data.Features.ToArray()));
        Assert.Equal([1f, 0f, 1f], data.Labels!.ToArray());
        Assert.Equal(["blue, dark", "red"], data.Vocabularies["colour"]);
        Assert.Equal(["no", "yes"], data.Vocabularies["y"]);
        Assert.Equal(
            new Dictionary<string, CsvColumnType>
            {
                ["id"] = CsvColumnType.Numeric, ["colour"] = CsvColumnType.Categorical, ["size"] = CsvColumnType.Numeric,
                ["weight"] = CsvColumnType.Numeric, ["y"] = CsvColumnType.Categorical,
            },
            data.ColumnTypes);
    }

    [Fact]
    public void Read_TextInTheLastRowAfterNumbers_ColumnCategoricalFromTheWholeFile()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "x,code\n1,7\n2,12\n3,A3\n");
        // RowsForInference applies to ReadChunks only: Read looks at every row.
        CsvData data = CsvTable.Read(path, new CsvReadOptions { InferColumnTypes = true, RowsForInference = 1 });
        Assert.Equal(["12", "7", "A3"], data.Vocabularies["code"]); // ordinal: '1' < '7' < 'A'
        Assert.Equal([1f, 1f, 2f, 0f, 3f, 2f], data.Features.ToArray());
        Assert.Equal(CsvColumnType.Categorical, data.ColumnTypes["code"]);
    }

    [Fact]
    public void Read_ColumnWithoutAnyValue_NumericAsPandasReadsIt()
    {
        var options = new CsvReadOptions { InferColumnTypes = true, NaValues = ["NA"], MissingNumbersAsNaN = true };
        CsvData data = CsvTable.Read(new StringReader("a,b\n1,\n2,NA\n"), options);
        Assert.Equal(Bits([1f, float.NaN, 2f, float.NaN]), Bits(data.Features.ToArray()));
        Assert.Equal(CsvColumnType.Numeric, data.ColumnTypes["b"]);
    }

    [Fact]
    public void Read_ExplicitSettings_WinOverInference()
    {
        // n is listed as categorical although it holds numbers; d has a default that is no number, so it holds text (TF's
        // column_defaults rule), and its default is one of its categories.
        var options = new CsvReadOptions { InferColumnTypes = true, CategoricalColumns = ["n"], ColumnDefaults = Defaults(("d", "none")) };
        CsvData data = CsvTable.Read(new StringReader("n,c,d\n1,5,7\n2,6,\n"), options);
        Assert.Equal([0f, 5f, 0f, 1f, 6f, 1f], data.Features.ToArray());
        Assert.Equal(["7", "none"], data.Vocabularies["d"]);
        Assert.Equal([CsvColumnType.Categorical, CsvColumnType.Numeric, CsvColumnType.Categorical], new[] { "n", "c", "d" }.Select(n => data.ColumnTypes[n]));

        // Without inference the same default is refused, as before.
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("n,c,d\n1,5,7\n"), new CsvReadOptions { ColumnDefaults = Defaults(("d", "none")) }));
        Assert.StartsWith("ColumnDefaults gives 'none' for numeric column 'd'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BlankDefaultUnderInference_Rejected()
    {
        var options = new CsvReadOptions { InferColumnTypes = true, ColumnDefaults = Defaults(("d", " ")) };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("d\nx\n"), options));
        Assert.Equal("ColumnDefaults gives the blank category ' ' for 'd', which would itself be a missing value; expected a category with text, such as \"unknown\". (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Read_WithoutInference_ColumnTypesStillReported()
    {
        CsvData data = CsvTable.Read(new StringReader("a,c\n1,x\n"), new CsvReadOptions { CategoricalColumns = ["c"] });
        Assert.Equal(new Dictionary<string, CsvColumnType> { ["a"] = CsvColumnType.Numeric, ["c"] = CsvColumnType.Categorical }, data.ColumnTypes);
    }

    [Fact]
    public void Read_NaNTextInAColumnOfNumbers_InferredNumericAndRefusedWithAHint()
    {
        // "NaN" is written as a number, so the column stays numeric (pandas reads it as float); as a value it is refused.
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a\n1\nNaN\n"), new CsvReadOptions { InferColumnTypes = true }));
        Assert.Equal("CSV input: line 3 (data row 2), column 'a': found 'NaN'; expected a finite number such as 1.5 or -2e-3 (invariant culture); if 'NaN' marks a missing value, add it to CsvReadOptions.NaValues.", ex.Message);

        var pandas = new CsvReadOptions { InferColumnTypes = true, UsePandasNaValues = true, MissingNumbersAsNaN = true };
        CsvData data = CsvTable.Read(new StringReader("a\n1\nNaN\n"), pandas);
        Assert.Equal(Bits([1f, float.NaN]), Bits(data.Features.ToArray()));
    }

    [Fact]
    public void Read_CommaDecimalText_CategoricalAsPandasReadsIt()
    {
        // pandas without decimal="," keeps "1,5" as text (object dtype); so does inference in the invariant culture.
        CsvData data = CsvTable.Read(new StringReader("a;b\n1,5;1\n2,5;2\n"), new CsvReadOptions { Separator = ';', InferColumnTypes = true });
        Assert.Equal(CsvColumnType.Categorical, data.ColumnTypes["a"]);
        Assert.Equal([0f, 1f, 1f, 2f], data.Features.ToArray());
    }

    [Fact]
    public void Read_LabelOfSpeciesNames_InferredCategoricalAndEncodedOneHot()
    {
        var options = new CsvReadOptions { InferColumnTypes = true, LabelColumns = ["species"], LabelEncoding = CategoricalEncoding.OneHot };
        var (x, y) = CsvTable.Read(new StringReader("len,species\n5.1,setosa\n6.3,virginica\n5.9,versicolor\n"), options);
        Assert.Equal([5.1f, 6.3f, 5.9f], x.ToArray());
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 1f, 0f, 1f, 0f], y!.ToArray());
    }

    [Fact]
    public void Read_BadRowDuringInference_ReportedWithTheReadsMessage()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,2\n3\n"), new CsvReadOptions { InferColumnTypes = true }, "t.csv"));
        Assert.Equal("t.csv: line 3 (data row 2) has 1 field; expected 2, one per column name.", ex.Message);
    }

    [Fact]
    public void ReadChunks_TextAfterThePrefix_NamesFileRowColumnTextAndTheOption()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "a,b\n1,2\n3,4\n5,x\n");
        var options = new CsvReadOptions { InferColumnTypes = true, RowsForInference = 2 };
        using IEnumerator<CsvData> chunks = CsvTable.ReadChunks(path, 2, options).GetEnumerator();

        Assert.True(chunks.MoveNext()); // b inferred numeric from rows 1-2; no category to collect, so no pass over the rest
        Assert.Equal([1f, 2f, 3f, 4f], chunks.Current.Features.ToArray());
        Assert.Equal(CsvColumnType.Numeric, chunks.Current.ColumnTypes["b"]);
        var ex = Assert.Throws<InvalidDataException>(() => chunks.MoveNext());
        Assert.Equal($"{path}: line 4 (data row 3), column 'b': found 'x'; expected a finite number such as 1.5 or -2e-3 (invariant culture), as 'b' was inferred numeric from its first 2 data rows (CsvReadOptions.RowsForInference); if it holds categories, list it in CsvReadOptions.CategoricalColumns, or set RowsForInference to null to infer from every row.", ex.Message);
        Assert.Equal(path, ex.Data["FileName"]);
        Assert.Equal(3, ex.Data["Row"]);
        Assert.Equal("b", ex.Data["Column"]);
        Assert.Equal("x", ex.Data["Text"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(3)]
    [InlineData(100)]
    public void ReadChunks_PrefixCoveringTheText_ChunksJoinToTheWholeRead(int? rowsForInference)
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "a,b\n1,2\n3,4\n5,x\n");
        var options = new CsvReadOptions { InferColumnTypes = true, RowsForInference = rowsForInference };
        CsvData whole = CsvTable.Read(path, options);

        CsvData[] chunks = [.. CsvTable.ReadChunks(path, 2, options)];

        Assert.Equal([1f, 0f, 3f, 1f, 5f, 2f], whole.Features.ToArray()); // b: "2" (0), "4" (1), "x" (2)
        Assert.Equal(whole.Features.ToArray(), chunks.SelectMany(c => c.Features.ToArray()));
        Assert.All(chunks, c => Assert.Equal(whole.ColumnTypes, c.ColumnTypes));
        Assert.All(chunks, c => Assert.Equal(["2", "4", "x"], c.Vocabularies["b"]));
    }

    [Fact]
    public void ReadChunks_TextAfterThePrefixWithACategoryToCollect_ThrowsBeforeTheFirstChunk()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "c,b\nred,1\nblue,2\ngreen,z\n");
        IEnumerable<CsvData> chunks = CsvTable.ReadChunks(path, 1, new CsvReadOptions { InferColumnTypes = true, RowsForInference = 2 });
        // c is categorical, so its vocabulary is collected by a pass over the whole file, which meets the 'z'.
        var ex = Assert.Throws<InvalidDataException>(() => chunks.First());
        Assert.StartsWith($"{path}: line 4 (data row 3), column 'b': found 'z'; expected a finite number such as 1.5 or -2e-3 (invariant culture), as 'b' was inferred numeric from its first 2 data rows", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChunks_Inference_OnTheFirstEnumerationOnlyAndKept()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "x,c\n1,red\n2,blue\n");
        int opens = 0;
        var options = new CsvReadOptions { InferColumnTypes = true };
        var chunks = new CsvTable.FileChunks(() => { opens++; return new StreamReader(path); }, path, 1, options, CancellationToken.None);

        float[] first = [.. chunks.SelectMany(c => c.Features.ToArray())];
        Assert.Equal(3, opens); // inference, the vocabulary pass, then the chunks
        float[] second = [.. chunks.SelectMany(c => c.Features.ToArray())];
        Assert.Equal(4, opens);
        Assert.Equal([1f, 1f, 2f, 0f], first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void ReadChunks_TextReaderWithInference_RejectedAtOnce()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.ReadChunks(new StringReader("a\n1\n"), 1, new CsvReadOptions { InferColumnTypes = true }));
        Assert.Equal("InferColumnTypes is set, but chunks read from a TextReader cannot be typed first: inference reads the first 100 rows before the chunks, and a reader cannot be read twice. Pass a file path, or turn InferColumnTypes off and list the text columns in CategoricalColumns with their Vocabularies. (Parameter 'options')", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Options_RowsForInferenceBelowOne_RejectedBeforeTheFileIsOpened(int rows)
    {
        using var folder = new TempFolder();
        string missing = folder.File("missing.csv");
        var options = new CsvReadOptions { InferColumnTypes = true, RowsForInference = rows };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.ReadChunks(missing, 2, options)); // not FileNotFoundException
        Assert.Equal($"RowsForInference is {rows}; expected at least 1 row to infer column types from, or null for every row. (Parameter 'options')", ex.Message);
    }
}
