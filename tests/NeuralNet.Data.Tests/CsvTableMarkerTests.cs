using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>Several missing-value markers: <see cref="CsvReadOptions.NaValues"/> (pandas' na_values) and <see cref="CsvReadOptions.UsePandasNaValues"/>.</summary>
public class CsvTableMarkerTests
{
    /// <summary>pandas 2.x's STR_NA_VALUES (pandas/_libs/parsers.pyx) without "", which is blank and so always missing.</summary>
    public static TheoryData<string> PandasMarkers() =>
        ["-1.#IND", "1.#QNAN", "1.#IND", "-1.#QNAN", "#N/A N/A", "#N/A", "N/A", "n/a", "NA", "<NA>", "#NA", "NULL", "null", "NaN", "-NaN", "nan", "-nan", "None"];

    [Fact]
    public void PandasMarkers_ExactlyPandasSet()
    {
        // STR_NA_VALUES as pandas 2.x writes it, "" left out; sorted, so order and duplicates both count.
        string[] pandas = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"];
        Assert.Equal(pandas.Where(m => m.Length > 0).Order(StringComparer.Ordinal), CsvMissingMarkers.Pandas.Order(StringComparer.Ordinal));
    }

    private static int[] Bits(IEnumerable<float> values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    private static Dictionary<string, string> Defaults(params (string Column, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Column, p => p.Value, StringComparer.Ordinal);

    [Fact]
    public void Read_NaValueAndNaValues_AddUp()
    {
        var options = new CsvReadOptions { NaValue = "-999", NaValues = ["NA", "?"], ColumnDefaults = Defaults(("a", "-1"), ("b", "0")) };
        CsvData data = CsvTable.Read(new StringReader("a,b\n1,NA\n?,2\n-999,\"\"\n\"NA\",3\n"), options);
        Assert.Equal([1f, 0f, -1f, 2f, -1f, 0f, -1f, 3f], data.Features.ToArray());
    }

    [Theory]
    [MemberData(nameof(PandasMarkers))]
    public void Read_UsePandasNaValues_EveryPandasMarkerIsMissing(string marker)
    {
        var options = new CsvReadOptions { UsePandasNaValues = true, MissingNumbersAsNaN = true };
        CsvData data = CsvTable.Read(new StringReader($"a,b\n1,\"{marker}\"\n{marker},2\n"), options);
        Assert.Equal(Bits([1f, float.NaN, float.NaN, 2f]), Bits(data.Features.ToArray()));
    }

    [Theory]
    [InlineData("na")]
    [InlineData("Na")]
    [InlineData("NONE")]
    [InlineData(" NA")]
    [InlineData("N/A ")]
    [InlineData("-NA")]
    public void Read_UsePandasNaValues_OtherTextIsAValue(string text)
    {
        // pandas compares its markers exactly: no case folding, no trimming.
        var options = new CsvReadOptions { UsePandasNaValues = true, MissingNumbersAsNaN = true };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader($"a\n\"{text}\"\n"), options));
        Assert.StartsWith($"CSV input: line 2 (data row 1), column 'a': found '{text}'; expected a finite number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PandasMarkersOff_NoneIsACategory()
    {
        CsvData data = CsvTable.Read(new StringReader("c\nNone\nSome\n"), new CsvReadOptions { CategoricalColumns = ["c"] });
        Assert.Equal(["None", "Some"], data.Vocabularies["c"]);
    }

    [Fact]
    public void Read_MarkerWithoutDefault_ErrorNamesTheOptionThatMadeItOne()
    {
        var listed = new CsvReadOptions { NaValues = ["NULL"], CategoricalColumns = ["c"] };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("c\nx\nNULL\n"), listed, "t.csv"));
        Assert.Equal("t.csv: line 3 (data row 2), column 'c': the value is missing ('NULL', one of the NaValues); expected a category, or a default for 'c' in CsvReadOptions.ColumnDefaults.", ex.Message);

        var pandas = new CsvReadOptions { UsePandasNaValues = true, CategoricalColumns = ["c"] };
        ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("c\nx\nn/a\n"), pandas, "t.csv"));
        Assert.Equal("t.csv: line 3 (data row 2), column 'c': the value is missing ('n/a', a pandas marker under UsePandasNaValues); expected a category, or a default for 'c' in CsvReadOptions.ColumnDefaults.", ex.Message);
        Assert.Equal("n/a", ex.Data["Text"]);
    }

    [Fact]
    public void ReadChunks_MarkersInEveryChunk_ChunksJoinBitForBitToTheWholeRead()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "x,c\n1,red\nNULL,?\n#N/A,blue\n4,None\n");
        var options = new CsvReadOptions
        {
            CategoricalColumns = ["c"], NaValues = ["?"], UsePandasNaValues = true, MissingNumbersAsNaN = true,
            ColumnDefaults = Defaults(("c", "none")),
        };
        CsvData whole = CsvTable.Read(path, options);
        CsvData[] chunks = [.. CsvTable.ReadChunks(path, 3, options)];

        Assert.Equal(["blue", "none", "red"], whole.Vocabularies["c"]);
        Assert.Equal(Bits([1f, 2f, float.NaN, 1f, float.NaN, 0f, 4f, 1f]), Bits(whole.Features.ToArray()));
        Assert.Equal(Bits(whole.Features.ToArray()), Bits(chunks.SelectMany(c => c.Features.ToArray())));
    }

    [Fact]
    public void Options_NullNaValues_Rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n"), new CsvReadOptions { NaValues = null! }));
        Assert.Equal("NaValues is null; expected a list of texts that mark a missing value (empty for none). (Parameter 'options')", ex.Message);

        ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n"), new CsvReadOptions { NaValues = ["NA", null!] }));
        Assert.Equal("NaValues has null at index 1; expected the texts that mark a missing value. (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Options_MarkerInAFixedVocabulary_RejectedUnlessItIsTheDefault()
    {
        var vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["a", "None"] };
        var pandas = new CsvReadOptions { CategoricalColumns = ["c"], UsePandasNaValues = true, Vocabularies = vocabularies };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("c\na\n"), pandas));
        Assert.Equal("The vocabulary of 'c' has the category 'None', which is a pandas marker under UsePandasNaValues: a field holding it is a missing value, so no field can be read as it; expected the marker outside the vocabulary, or as the column's default in ColumnDefaults. (Parameter 'options')", ex.Message);

        var listed = new CsvReadOptions { CategoricalColumns = ["c"], NaValues = ["None"], Vocabularies = vocabularies, ColumnDefaults = Defaults(("c", "None")) };
        Assert.Equal([0f, 1f, 1f], CsvTable.Read(new StringReader("c\na\nNone\n\"\"\n"), listed).Features.ToArray());
    }
}
