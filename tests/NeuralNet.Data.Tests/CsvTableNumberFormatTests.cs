using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// <see cref="CsvReadOptions.Decimal"/> and <see cref="CsvReadOptions.Thousands"/>: the expected values are what pandas'
/// <c>read_csv(..., decimal=",", thousands=".")</c> reads from the same text (its C parser skips the thousands mark in
/// the integer part and takes the decimal mark before the fraction and exponent).
/// </summary>
public class CsvTableNumberFormatTests
{
    private static readonly CsvReadOptions s_european = new() { Separator = ';', Decimal = ',' };

    [Fact]
    public void Read_DecimalComma_ReadsFractionsAndExponents()
    {
        CsvData data = CsvTable.Read(new StringReader("a;b;c\n1,5;-0,25;2,5e-3\n3;4,0;1E2\n"), s_european);

        Assert.Equal([1.5f, -0.25f, 0.0025f, 3f, 4f, 100f], data.Features.ToArray());
    }

    [Fact]
    public void Read_DecimalCommaUnderAnyCulture_SameValues()
    {
        // The machine's culture plays no part: en-US would take ',' for a group separator, de-DE '.'.
        foreach (string culture in new[] { "en-US", "de-DE", "fr-FR" })
        {
            using var scope = new CultureScope(culture);
            Assert.Equal([1.5f, 1000f], CsvTable.Read(new StringReader("a;b\n1,5;1000\n"), s_european).Features.ToArray());
        }
    }

    [Fact]
    public void Read_ThousandsWithDecimalComma_SkipsTheGroupMarks()
    {
        var options = new CsvReadOptions { Separator = ';', Decimal = ',', Thousands = '.' };

        CsvData data = CsvTable.Read(new StringReader("a;b\n1.234,5;-12.345.678\n"), options);

        Assert.Equal([1234.5f, -12345678f], data.Features.ToArray());
    }

    [Fact]
    public void Read_ThousandsCommaInQuotedFields_ReadsTheNumbers()
    {
        var options = new CsvReadOptions { Thousands = ',', LabelColumns = ["price"] };

        CsvData data = CsvTable.Read(new StringReader("rooms,price\n3,\"1,250,000.5\"\n2,\"980,000\"\n"), options);

        Assert.Equal([3f, 2f], data.Features.ToArray());
        Assert.Equal([1250000.5f, 980000f], data.Labels!.ToArray());
    }

    [Theory]
    [InlineData("123.", 123f)] // a trailing mark: pandas skips it too
    [InlineData("1.000e3", 1e6f)] // a mark in the integer part before an exponent
    [InlineData("-1.000", -1000f)]
    public void Read_ThousandsMarkAfterADigit_Skipped(string field, float expected)
    {
        var options = new CsvReadOptions { Separator = ';', Decimal = ',', Thousands = '.' };

        Assert.Equal([expected], CsvTable.Read(new StringReader($"a\n{field}\n"), options).Features.ToArray());
    }

    [Theory]
    [InlineData(".5")] // no digit before the mark: text for pandas too
    [InlineData("1,5.0")] // a mark after the decimal mark
    [InlineData("1e1.000")] // a mark in the exponent
    public void Read_ThousandsMarkOutOfPlace_IsNoNumber(string field)
    {
        var options = new CsvReadOptions { Separator = ';', Decimal = ',', Thousands = '.' };

        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader($"a\n{field}\n"), options));

        Assert.Contains($"found '{field}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_QuotedDecimalCommaInACommaSeparatedFile_HintsAtBothOptions()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n\"1,5\",2\n")));

        Assert.EndsWith("set CsvReadOptions.Decimal to ',' (and Separator to ';' if that separates its fields).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PointUnderDecimalComma_IsNoNumber()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a;b\n1.5;2\n"), s_european));

        Assert.Equal("CSV input: line 2 (data row 1), column 'a': found '1.5'; expected a finite number with the decimal mark ',' (CsvReadOptions.Decimal) such as 1,5 or -2e-3.", ex.Message);
    }

    [Fact]
    public void Read_ThousandsMarkWithoutThousands_IsNoNumber()
    {
        // pandas without thousands= reads "1.234,5" as text too; here a numeric column refuses it.
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a\n1.234,5\n"), new CsvReadOptions { Separator = ';', Decimal = ',' }));

        Assert.Contains("found '1.234,5'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InferColumnTypes_DecimalComma_NumbersNumericAndPointsText()
    {
        var options = new CsvReadOptions { Separator = ';', Decimal = ',', InferColumnTypes = true };

        CsvData data = CsvTable.Read(new StringReader("x;version\n0,5;1.2\n1,5;1.3\n"), options);

        Assert.Equal(CsvColumnType.Numeric, data.ColumnTypes["x"]);
        Assert.Equal(CsvColumnType.Categorical, data.ColumnTypes["version"]);
        Assert.Equal(["1.2", "1.3"], data.Vocabularies["version"]);
        Assert.Equal([0.5f, 0f, 1.5f, 1f], data.Features.ToArray());
    }

    [Fact]
    public void InferColumnTypes_DecimalCommaInChunks_SameAsOneRead()
    {
        var options = new CsvReadOptions { Separator = ';', Decimal = ',', InferColumnTypes = true, RowsForInference = 2 };
        using var folder = new TempFolder();
        string path = folder.WriteText("eu.csv", "x;y\n0,5;1\n1,5;2\n2,5;3\n");

        float[] chunked = [.. CsvTable.ReadChunks(path, 2, options).SelectMany(c => c.Features.ToArray())];

        Assert.Equal(CsvTable.Read(path, options).Features.ToArray(), chunked);
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f], chunked);
    }

    [Fact]
    public void ColumnDefaults_WrittenAsTheFileWritesNumbers()
    {
        var options = new CsvReadOptions { Separator = ';', Decimal = ',', ColumnDefaults = new Dictionary<string, string> { ["a"] = "0,5" } };

        Assert.Equal([0.5f, 2f], CsvTable.Read(new StringReader("a;b\n;2\n"), options).Features.ToArray());

        var invariantDefault = new CsvReadOptions { Separator = ';', Decimal = ',', ColumnDefaults = new Dictionary<string, string> { ["a"] = "0.5" } };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a;b\n;2\n"), invariantDefault));
        Assert.StartsWith("ColumnDefaults gives '0.5' for numeric column 'a'; expected a number such as 0 or 1,5 (CsvReadOptions.Decimal), or NaN.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NaNUnderDecimalComma_HintsAtNaValues()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a;b\nNaN;2\n"), s_european));

        Assert.EndsWith("if 'NaN' marks a missing value, add it to CsvReadOptions.NaValues.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(',', ',', null, "Decimal and Separator are both ','; expected different characters")]
    [InlineData(';', 'e', null, "Decimal is 'e', which cannot mark a number's fraction")]
    [InlineData(';', '5', null, "Decimal is '5', which cannot mark a number's fraction")]
    [InlineData(';', ' ', null, "Decimal is ' ', which cannot mark a number's fraction")]
    [InlineData(';', ',', ',', "Thousands and Decimal are both ','; expected different characters.")]
    [InlineData(';', ',', '-', "Thousands is '-', which cannot group a number's digits")]
    public void Options_ConflictingMarks_RefusedBeforeReading(char separator, char decimalMark, char? thousands, string message)
    {
        var options = new CsvReadOptions { Separator = separator, Decimal = decimalMark, Thousands = thousands };

        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n"), options));

        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal("options", ex.ParamName);
    }
}
