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
    public void ReadChunks_TextAfterThePrefixWithACategoryToCollect_InferredFromEveryRowInThatPass()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "c,b\nred,1\nblue,2\ngreen,z\n");
        var options = new CsvReadOptions { InferColumnTypes = true, RowsForInference = 2 };
        // c holds text in the prefix, so its vocabulary is collected by a pass over the whole file, which also sees the
        // 'z' and makes b categorical: "1" (0), "2" (1), "z" (2); c: blue (0), green (1), red (2).
        CsvData[] chunks = [.. CsvTable.ReadChunks(path, 1, options)];
        Assert.Equal([2f, 0f, 0f, 1f, 1f, 2f], chunks.SelectMany(c => c.Features.ToArray()));
        Assert.All(chunks, c => Assert.Equal(CsvColumnType.Categorical, c.ColumnTypes["b"]));
        Assert.Equal(CsvTable.Read(path, options).Features.ToArray(), chunks.SelectMany(c => c.Features.ToArray()));
    }

    [Theory]
    [InlineData("-")]
    [InlineData("1,5")]
    public void ReadChunks_NumberLikeTextAfterThePrefix_StillNamesTheInference(string text)
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", $"a;b\n1;2\n3;{text}\n");
        var options = new CsvReadOptions { Separator = ';', InferColumnTypes = true, RowsForInference = 1 };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.ReadChunks(path, 5, options).ToList());
        Assert.Equal($"{path}: line 3 (data row 2), column 'b': found '{text}'; expected a finite number such as 1.5 or -2e-3 (invariant culture), as 'b' was inferred numeric from its first 1 data rows (CsvReadOptions.RowsForInference); if it holds categories, list it in CsvReadOptions.CategoricalColumns, or set RowsForInference to null to infer from every row.", ex.Message);
    }

    [Fact]
    public void ReadChunks_EveryRowOrACategoryToCollect_OnePassTypesAndCollects()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "x,c,k\n1,red,5\n2,blue,6\n");
        // Every row: k holds numbers; k listed (so collected): the pass that collects it also infers from every row.
        foreach ((CsvReadOptions options, float[] expected) in new[]
        {
            (new CsvReadOptions { InferColumnTypes = true, RowsForInference = null }, new[] { 1f, 1f, 5f, 2f, 0f, 6f }),
            (new CsvReadOptions { InferColumnTypes = true, CategoricalColumns = ["k"] }, new[] { 1f, 1f, 0f, 2f, 0f, 1f }),
        })
        {
            int opens = 0;
            var chunks = new CsvTable.FileChunks(() => { opens++; return new StreamReader(path); }, path, 1, options, CancellationToken.None);
            float[] values = [.. chunks.SelectMany(c => c.Features.ToArray())];
            Assert.Equal(2, opens); // one pass infers and collects, then the chunks
            Assert.Equal(expected, values); // c: blue (0), red (1); k, when categorical: "5" (0), "6" (1)
        }
    }

    [Fact]
    public void ReadChunks_TextColumnWithMoreValuesThanKept_CollectedByASecondPass()
    {
        using var folder = new TempFolder();
        int rows = CsvUndecided.MaxValues + 2;
        var text = new System.Text.StringBuilder("x,c\n");
        for (int i = 0; i < rows - 1; i++)
        {
            text.Append(i).Append(',').Append(i).Append('\n');
        }

        text.Append("-1,last\n");
        string path = folder.WriteText("t.csv", text.ToString());
        int opens = 0;
        var options = new CsvReadOptions { InferColumnTypes = true, RowsForInference = null };
        var chunks = new CsvTable.FileChunks(() => { opens++; return new StreamReader(path); }, path, 4096, options, CancellationToken.None);
        CsvData last = chunks.Last();
        Assert.Equal(3, opens); // the pass that infers (dropping c's values), the one that collects c, the chunks
        Assert.Equal(rows, last.Vocabularies["c"].Count);
        Assert.Equal("last", last.Vocabularies["c"][^1]); // ordinal: digits sort before letters
        Assert.Equal(rows - 1, last.Features.ToArray()[^1]);
    }

    [Theory]
    [InlineData("1e39")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    public void Options_NumberLikeDefaultThatIsRefused_StillANumericDefaultError(string value)
    {
        var options = new CsvReadOptions { InferColumnTypes = true, ColumnDefaults = Defaults(("a", value)) };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n\n"), options));
        Assert.Equal($"ColumnDefaults gives '{value}' for numeric column 'a'; expected a number such as 0 or 1.5 (invariant culture), or NaN. If 'a' holds categories, list it in CategoricalColumns. (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Read_NaNDefaultUnderInference_NumericColumn()
    {
        var options = new CsvReadOptions { InferColumnTypes = true, ColumnDefaults = Defaults(("a", "NaN")) };
        CsvData data = CsvTable.Read(new StringReader("a\n1\n\"\"\n"), options);
        Assert.Equal(Bits([1f, float.NaN]), Bits(data.Features.ToArray()));
        Assert.Equal(CsvColumnType.Numeric, data.ColumnTypes["a"]);
    }

    [Fact]
    public void Read_TrainingVocabulariesUnderInference_DeclareTheColumnsCategorical()
    {
        var options = new CsvReadOptions { InferColumnTypes = true, LabelColumns = ["y"] };
        CsvData train = CsvTable.Read(new StringReader("n,c,y\n1,red,a\n2,blue,b\n"), options);
        var testOptions = new CsvReadOptions { InferColumnTypes = true, LabelColumns = ["y"], Vocabularies = train.Vocabularies };

        // The test file's one row has one label: the training vocabularies give the types and ids (y 'b' is 1, not 0).
        CsvData test = CsvTable.Read(new StringReader("n,c,y\n3,blue,b\n"), testOptions);
        Assert.Equal([3f, 0f], test.Features.ToArray());
        Assert.Equal([1f], test.Labels!.ToArray());
        Assert.Equal(train.ColumnTypes, test.ColumnTypes);

        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "n,c,y\n3,green,b\n");
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.ReadChunks(path, 1, testOptions).ToList());
        Assert.StartsWith($"{path}: line 2 (data row 1), column 'c': found 'green'; expected one of", ex.Message, StringComparison.Ordinal);

        // Without inference a vocabulary still needs its column listed, and the message names the other way.
        var off = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("n,c,y\n"), new CsvReadOptions { Vocabularies = train.Vocabularies }));
        Assert.Equal("Vocabularies has a vocabulary for 'c', which is not in CategoricalColumns; expected vocabularies of categorical columns only (or set InferColumnTypes, under which a vocabulary makes its column categorical). (Parameter 'options')", off.Message);
    }

    [Fact]
    public void Read_RepeatedHeaderNameHoldingText_NamesTheInference()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b,a\n1,2,x\n"), new CsvReadOptions { InferColumnTypes = true }, "t.csv"));
        Assert.Equal("t.csv: the column names hold 'a' twice (fields 1 and 3), and InferColumnTypes found text in it; expected each name once, since the inferred types are given by name (rename a column, or give ColumnNames).", ex.Message);

        // Repeated names holding numbers stay readable, as without inference.
        CsvData data = CsvTable.Read(new StringReader("a,b,a\n1,2,3\n"), new CsvReadOptions { InferColumnTypes = true });
        Assert.Equal([1f, 2f, 3f], data.Features.ToArray());
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
        Assert.Equal(3, opens); // inference from the prefix, which finds text, the pass that collects it, then the chunks
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
