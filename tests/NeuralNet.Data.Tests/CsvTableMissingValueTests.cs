using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>Missing values: <see cref="CsvReadOptions.NaValue"/>, <see cref="CsvReadOptions.ColumnDefaults"/> and <see cref="CsvReadOptions.MissingNumbersAsNaN"/>.</summary>
public class CsvTableMissingValueTests
{
    private static Dictionary<string, string> Defaults(params (string Column, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Column, p => p.Value, StringComparer.Ordinal);

    private static int[] Bits(IEnumerable<float> values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    [Fact]
    public void Read_TfCsvDatasetEmptyFieldsExample_DefaultsFillEveryPosition()
    {
        // TF's csv_dataset_test.testCsvDataset_withEmptyFields: record_defaults [[0]] * 4 on ',,,', '1,1,1,', ',2,2,2'.
        var options = new CsvReadOptions
        {
            HasHeader = false,
            ColumnNames = ["a", "b", "c", "d"],
            ColumnDefaults = Defaults(("a", "0"), ("b", "0"), ("c", "0"), ("d", "0")),
        };
        CsvData data = CsvTable.Read(new StringReader(",,,\n1,1,1,\n,2,2,2\n"), options);
        Assert.Equal(new TensorShape(3, 4), data.Features.Shape);
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 1f, 1f, 0f, 0f, 2f, 2f, 2f], data.Features.ToArray());
    }

    [Fact]
    public void Read_NaValue_MarkedFieldsQuotedOrNotTakeTheDefault()
    {
        var options = new CsvReadOptions { NaValue = "NA", ColumnDefaults = Defaults(("a", "-1"), ("b", "0.5")) };
        CsvData data = CsvTable.Read(new StringReader("a,b\n1,NA\nNA,2\n\"NA\",3\n"), options);
        Assert.Equal([1f, 0.5f, -1f, 2f, -1f, 3f], data.Features.ToArray());
    }

    [Fact]
    public void Read_NaValueSet_EmptyFieldsStillMissing()
    {
        var options = new CsvReadOptions { NaValue = "?", ColumnDefaults = Defaults(("b", "9")) };
        Assert.Equal([1f, 9f, 2f, 9f], CsvTable.Read(new StringReader("a,b\n1,\n2,?\n"), options).Features.ToArray());
    }

    [Theory]
    [InlineData(" NA")]
    [InlineData("na")]
    [InlineData("NA ")]
    public void Read_TextNotExactlyTheNaValue_IsAValueNotAMissingOne(string text)
    {
        var options = new CsvReadOptions { NaValue = "NA", ColumnDefaults = Defaults(("a", "0")) };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader($"a\n\"{text}\"\n"), options));
        Assert.StartsWith($"CSV input: line 2 (data row 1), column 'a': found '{text}'; expected a finite number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NumericSentinelAsNaValue_ReadAsMissing()
    {
        // pandas' na_values=[-999]: a sentinel that is itself a number marks the gap.
        var options = new CsvReadOptions { NaValue = "-999", MissingNumbersAsNaN = true };
        float[] values = CsvTable.Read(new StringReader("a\n1\n-999\n-999.0\n"), options).Features.ToArray();
        Assert.Equal(1f, values[0]);
        Assert.True(float.IsNaN(values[1]));
        Assert.Equal(-999f, values[2]); // the exact text only, as TF and pandas compare it
    }

    [Fact]
    public void Read_MissingNumbersAsNaN_FillsNaNWhereNoDefaultIsGiven()
    {
        var options = new CsvReadOptions { MissingNumbersAsNaN = true, ColumnDefaults = Defaults(("b", "7"), ("y", "0")), LabelColumns = ["y"] };
        CsvData data = CsvTable.Read(new StringReader("a,b,y\n1,,\n,2,1\n"), options);
        Assert.Equal(Bits([1f, 7f, float.NaN, 2f]), Bits(data.Features.ToArray()));
        Assert.Equal(Bits([0f, 1f]), Bits(data.Labels!.ToArray()));

        // A label is never filled with NaN: without a default its gap stays an error.
        var noLabelDefault = new CsvReadOptions { MissingNumbersAsNaN = true, LabelColumns = ["y"] };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,y\n1,\n"), noLabelDefault));
        Assert.StartsWith("CSV input: line 2 (data row 1), column 'y':", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NaNDefaultForOneColumn_FillsNaNThereOnly()
    {
        var options = new CsvReadOptions { ColumnDefaults = Defaults(("a", "NaN")) };
        Assert.Equal(Bits([float.NaN, 2f]), Bits(CsvTable.Read(new StringReader("a,b\n,2\n"), options).Features.ToArray()));
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,\n"), options));
        Assert.StartsWith("CSV input: line 2 (data row 1), column 'b': the value is missing;", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NaNWrittenInTheFile_RefusedUnlessItIsTheNaValue()
    {
        var nanFill = new CsvReadOptions { MissingNumbersAsNaN = true };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a\nNaN\n"), nanFill));
        Assert.Contains("found 'NaN'", ex.Message, StringComparison.Ordinal);

        float[] values = CsvTable.Read(new StringReader("a\nNaN\n"), new CsvReadOptions { MissingNumbersAsNaN = true, NaValue = "NaN" }).Features.ToArray();
        Assert.True(float.IsNaN(Assert.Single(values)));
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\" \"")]
    [InlineData("")]
    [InlineData("  ")]
    public void Read_QuotedOrUnquotedBlankField_IsMissing(string field)
    {
        var options = new CsvReadOptions { ColumnDefaults = Defaults(("b", "4")) };
        Assert.Equal([1f, 4f], CsvTable.Read(new StringReader($"a,b\n1,{field}\n"), options).Features.ToArray());
    }

    [Fact]
    public void Read_OneColumnFile_BlankLineSkippedButQuotedEmptyTakesTheDefault()
    {
        // A blank line is no row (as pandas' skip_blank_lines); "" is a row whose one field is missing.
        var options = new CsvReadOptions { ColumnDefaults = Defaults(("x", "7")) };
        Assert.Equal([1f, 7f, 3f], CsvTable.Read(new StringReader("x\n1\n\n\"\"\n3\n"), options).Features.ToArray());
    }

    [Fact]
    public void Read_LastColumnEmpty_TakesTheDefaultOrNamesTheColumn()
    {
        string text = "a,b,c\n1,2,3\n4,5,\n";
        Assert.Equal([1f, 2f, 3f, 4f, 5f, -1f], CsvTable.Read(new StringReader(text), new CsvReadOptions { ColumnDefaults = Defaults(("c", "-1")) }).Features.ToArray());

        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader(text)));
        Assert.StartsWith("CSV input: line 3 (data row 2), column 'c': the value is missing;", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_FileEndingWithoutNewlineInAnEmptyLastField_TakesTheDefaultOrNamesTheLine()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "a,b\n1,2\n3,");
        Assert.Equal([1f, 2f, 3f, 0f], CsvTable.Read(path, new CsvReadOptions { ColumnDefaults = Defaults(("b", "0")) }).Features.ToArray());

        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path));
        Assert.Equal($"{path}: line 3 (data row 2), column 'b': the value is missing; expected a finite number such as 1.5 or -2e-3 (invariant culture), or a default for 'b' in CsvReadOptions.ColumnDefaults (or CsvReadOptions.MissingNumbersAsNaN).", ex.Message);
        Assert.Equal(path, ex.Data["FileName"]);
        Assert.Equal(3, ex.Data["Line"]);
        Assert.Equal(2, ex.Data["Row"]);
        Assert.Equal("b", ex.Data["Column"]);
        Assert.Equal("", ex.Data["Text"]);
    }

    [Fact]
    public void Read_NaValueWithoutDefault_ErrorShowsTheMarker()
    {
        var options = new CsvReadOptions { NaValue = "NA", CategoricalColumns = ["c"] };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,c\n1,x\n2,NA\n"), options, "t.csv"));
        Assert.Equal("t.csv: line 3 (data row 2), column 'c': the value is missing ('NA', the NaValue); expected a category, or a default for 'c' in CsvReadOptions.ColumnDefaults.", ex.Message);
        Assert.Equal("NA", ex.Data["Text"]);
    }

    [Fact]
    public void Read_MissingValueInAColumnNotChosen_NotAnError()
    {
        Assert.Equal([1f], CsvTable.Read(new StringReader("a,b\n1,\n"), new CsvReadOptions { FeatureColumns = ["a"] }).Features.ToArray());
    }

    [Fact]
    public void Read_CategoricalDefaultWithCollectedVocabulary_SortedInAmongTheCategories()
    {
        var options = new CsvReadOptions { CategoricalColumns = ["c"], ColumnDefaults = Defaults(("c", "unknown")) };
        CsvData data = CsvTable.Read(new StringReader("c\nred\n\nblue\n\"\"\n"), options);
        Assert.Equal(["blue", "red", "unknown"], data.Vocabularies["c"]);
        Assert.Equal([1f, 0f, 2f], data.Features.ToArray());
    }

    [Fact]
    public void Read_CategoricalDefaultNeverUsed_StillInTheVocabularyAndOneHotWidth()
    {
        // So a training file without gaps and a test file with some encode the column alike.
        var options = new CsvReadOptions { CategoricalColumns = ["c"], CategoricalEncoding = CategoricalEncoding.OneHot, ColumnDefaults = Defaults(("c", "unknown")) };
        CsvData complete = CsvTable.Read(new StringReader("c\nred\nblue\n"), options);
        CsvData gappy = CsvTable.Read(new StringReader("c\nred\n\"\"\n"), options);
        Assert.Equal(["c=blue", "c=red", "c=unknown"], complete.FeatureNames);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], complete.Features.ToArray());
        Assert.Equal(["c=red", "c=unknown"], gappy.FeatureNames); // blue appears in neither row of this file
        Assert.Equal([1f, 0f, 0f, 1f], gappy.Features.ToArray());
    }

    [Fact]
    public void Read_CategoricalDefaultInFixedVocabulary_EncodedWithItsId()
    {
        var options = new CsvReadOptions
        {
            LabelColumns = ["y"],
            CategoricalColumns = ["y"],
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["y"] = ["cat", "dog", "other"] },
            ColumnDefaults = Defaults(("y", "other")),
            NaValue = "?",
        };
        CsvData data = CsvTable.Read(new StringReader("x,y\n1,dog\n2,?\n3,\n4,cat\n"), options);
        Assert.Equal([1f, 2f, 2f, 0f], data.Labels!.ToArray());
        Assert.Equal(["cat", "dog", "other"], data.Vocabularies["y"]);
    }

    [Fact]
    public void ReadChunks_PathWithGapsAndCollectedVocabulary_ChunksJoinBitForBitToTheWholeRead()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "x,c,y\n1,red,0\n,,1\nNA,blue,NA\n4,NA,1\n5,green,\n");
        var options = new CsvReadOptions
        {
            LabelColumns = ["y"],
            CategoricalColumns = ["c"],
            CategoricalEncoding = CategoricalEncoding.OneHot,
            NaValue = "NA",
            MissingNumbersAsNaN = true,
            ColumnDefaults = Defaults(("c", "none"), ("y", "-1")),
        };
        CsvData whole = CsvTable.Read(path, options);

        CsvData[] chunks = [.. CsvTable.ReadChunks(path, 2, options)];

        Assert.Equal([2, 2, 1], chunks.Select(c => c.RowCount));
        Assert.Equal(Bits(whole.Features.ToArray()), Bits(chunks.SelectMany(c => c.Features.ToArray())));
        Assert.Equal(Bits(whole.Labels!.ToArray()), Bits(chunks.SelectMany(c => c.Labels!.ToArray())));
        Assert.All(chunks, c => Assert.Equal(["blue", "green", "none", "red"], c.Vocabularies["c"]));
        Assert.Equal([0f, 1f, -1f, 1f, -1f], whole.Labels.ToArray());
        Assert.Equal(Bits([1f, 0f, 0f, 0f, 1f, float.NaN, 0f, 0f, 1f, 0f]), Bits(whole.Features.ToArray().Take(10)));
    }

    [Fact]
    public void ReadChunks_TextReaderWithFixedVocabularyAndDefault_FillsTheGaps()
    {
        var options = new CsvReadOptions
        {
            CategoricalColumns = ["c"],
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["a", "b"] },
            ColumnDefaults = Defaults(("c", "b")),
        };
        CsvData[] chunks = [.. CsvTable.ReadChunks(new StringReader("c\na\n\"\"\n"), 1, options)];
        Assert.Equal([[0f], [1f]], chunks.Select(c => c.Features.ToArray()));
    }

    [Fact]
    public void ReadChunks_PathWithCollectedVocabularyAndAGapInTheLastRow_ThrowsBeforeTheFirstChunk()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "x,c\n1,red\n2,blue\n3,\n");
        IEnumerable<CsvData> chunks = CsvTable.ReadChunks(path, 1, new CsvReadOptions { CategoricalColumns = ["c"] });
        // The vocabulary pass reads every row before the first one-row chunk is handed out.
        var ex = Assert.Throws<InvalidDataException>(() => chunks.First());
        Assert.StartsWith($"{path}: line 4 (data row 3), column 'c': the value is missing;", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_NullNaValue_Rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n"), new CsvReadOptions { NaValue = null! }));
        Assert.Equal("NaValue is null; expected the text that marks a missing value, or \"\" for empty fields only. (Parameter 'options')", ex.Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1,5")]
    [InlineData("Infinity")]
    [InlineData("")]
    public void Options_NumericDefaultThatIsNoNumber_RejectedBeforeTheFileIsOpened(string value)
    {
        using var folder = new TempFolder();
        string missing = folder.File("missing.csv");
        var options = new CsvReadOptions { ColumnDefaults = Defaults(("a", value)) };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(missing, options)); // not FileNotFoundException
        Assert.Equal($"ColumnDefaults gives '{value}' for numeric column 'a'; expected a number such as 0 or 1.5 (invariant culture), or NaN. If 'a' holds categories, list it in CategoricalColumns. (Parameter 'options')", ex.Message);
        Assert.Throws<ArgumentException>(() => CsvTable.ReadChunks(missing, 2, options));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Options_BlankCategoricalDefault_Rejected(string value)
    {
        var options = new CsvReadOptions { CategoricalColumns = ["c"], ColumnDefaults = Defaults(("c", value)) };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("c\nx\n"), options));
        Assert.Equal($"ColumnDefaults gives the blank category '{value}' for 'c', which would itself be a missing value; expected a category with text, such as \"unknown\". (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Options_CategoricalDefaultOutsideItsFixedVocabulary_Rejected()
    {
        var options = new CsvReadOptions
        {
            CategoricalColumns = ["c"],
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["a", "b"] },
            ColumnDefaults = Defaults(("c", "z")),
        };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.ReadChunks(new StringReader("c\na\n"), 1, options));
        Assert.Equal("ColumnDefaults gives 'z' for 'c', which is not in its vocabulary; expected one of the categories 'a', 'b'. (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Options_NaValueInAFixedVocabulary_RejectedUnlessItIsTheDefault()
    {
        var vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["a", "NA"] };
        var options = new CsvReadOptions { CategoricalColumns = ["c"], NaValue = "NA", Vocabularies = vocabularies };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("c\na\n"), options));
        Assert.Equal("The vocabulary of 'c' has the category 'NA', which is the NaValue: a field holding it is a missing value, so no field can be read as it; expected the NaValue outside the vocabulary, or as the column's default in ColumnDefaults. (Parameter 'options')", ex.Message);

        var withDefault = new CsvReadOptions { CategoricalColumns = ["c"], NaValue = "NA", Vocabularies = vocabularies, ColumnDefaults = Defaults(("c", "NA")) };
        Assert.Equal([0f, 1f, 1f], CsvTable.Read(new StringReader("c\na\nNA\n\"\"\n"), withDefault).Features.ToArray());
    }

    [Fact]
    public void Options_NullDefault_Rejected()
    {
        var options = new CsvReadOptions { ColumnDefaults = new Dictionary<string, string> { ["a"] = null! } };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n"), options));
        Assert.Equal("ColumnDefaults gives null for 'a'; expected the value its missing fields take. (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Read_DefaultForAColumnTheFileDoesNotHave_ListsTheColumns()
    {
        var options = new CsvReadOptions { ColumnDefaults = Defaults(("z", "0")) };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a,b\n1,2\n"), options));
        Assert.Equal("CSV input: ColumnDefaults column 'z' is not among the columns (a, b). (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Read_DefaultForAColumnNotChosen_Rejected()
    {
        var options = new CsvReadOptions { FeatureColumns = ["a"], ColumnDefaults = Defaults(("b", "0")) };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a,b\n1,2\n"), options));
        Assert.Equal("CSV input: ColumnDefaults has a default for 'b', which is neither a feature nor a label column; expected defaults of chosen columns only. (Parameter 'options')", ex.Message);
    }
}
