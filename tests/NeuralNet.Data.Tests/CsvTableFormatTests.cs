using System.Text;
using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>Line ends, byte-order marks, quoting across lines and the current culture.</summary>
public class CsvTableFormatTests
{
    [Fact]
    public void Read_QuotedFieldWithLineBreak_KeptInTheValue()
    {
        CsvData data = CsvTable.Read(new StringReader("a,b\n1,\"x\ny\"\n2,z\n"), new CsvReadOptions { CategoricalColumns = ["b"] });
        Assert.Equal(["x\ny", "z"], data.Vocabularies["b"]);
        Assert.Equal([1f, 0f, 2f, 1f], data.Features.ToArray());
    }

    [Fact]
    public void Read_ErrorAfterAQuotedLineBreak_NamesTheLineInTheFile()
    {
        // Line 1 header, lines 2-3 the first row, line 4 the second, line 5 the third.
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,\"x\ny\"\n2,z\nw,q\n"), new CsvReadOptions { CategoricalColumns = ["b"] }));
        Assert.StartsWith("CSV input: line 5 (data row 3), column 'a': found 'w'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(5, ex.Data["Line"]);
    }

    public static TheoryData<string> ByteOrderMarks => ["utf-8", "utf-16LE", "utf-16BE"];

    [Theory]
    [MemberData(nameof(ByteOrderMarks))]
    public void Read_PathWithByteOrderMark_MarkNotPartOfTheFirstName(string encoding)
    {
        using var folder = new TempFolder();
        string path = folder.File("bom.csv");
        Encoding withMark = encoding == "utf-8" ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: true) : Encoding.GetEncoding(encoding);
        File.WriteAllBytes(path, [.. withMark.GetPreamble(), .. withMark.GetBytes("a,b\n1,2\n")]);

        CsvData data = CsvTable.Read(path, new CsvReadOptions { FeatureColumns = ["a"], LabelColumns = ["b"] });

        Assert.Equal(["a"], data.FeatureNames);
        Assert.Equal([1f], data.Features.ToArray());
        Assert.Equal([2f], data.Labels!.ToArray());
    }

    [Fact]
    public void Read_CrlfLineEnds_NamesWithoutCarriageReturn()
    {
        CsvData data = CsvTable.Read(new StringReader("a,b\r\n1,2\r\n3,4\r\n"), new CsvReadOptions { LabelColumns = ["b"] });
        Assert.Equal(["a"], data.FeatureNames);
        Assert.Equal(["b"], data.LabelNames);
        Assert.Equal([2f, 4f], data.Labels!.ToArray());
    }

    [Fact]
    public void Read_UnderGermanCulture_CommaSeparatesFieldsAndNumbersStayInvariant()
    {
        using var culture = new CultureScope("de-DE");

        // In a comma-separated file "1,5" is two fields, whatever the culture.
        Assert.Equal([1f, 5f], CsvTable.Read(new StringReader("a,b\n1,5\n")).Features.ToArray());

        // With ';' as separator a decimal comma is not read as one unless asked for (CsvReadOptions.Decimal): the invariant culture has none.
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a;b\n1,5;2\n"), new CsvReadOptions { Separator = ';' }));
        Assert.Equal("CSV input: line 2 (data row 1), column 'a': found '1,5'; expected a finite number such as 1.5 or -2e-3 (invariant culture); if the file writes numbers with a decimal comma, set CsvReadOptions.Decimal to ','.", ex.Message);

        // And a point is the decimal point, not de-DE's thousands separator.
        Assert.Equal([1.5f, 1f], CsvTable.Read(new StringReader("a;b\n1.5;1.000\n"), new CsvReadOptions { Separator = ';' }).Features.ToArray());
    }

    [Fact]
    public void Read_UnclosedQuote_SaysSoAndWhereItOpened()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,2\n3,\"4\n5,6\n7,8\n"), sourceName: "t.csv"));
        Assert.Equal("t.csv: line 3 (data row 2) opens a quote that is never closed, so the rest of the input was read into that row; expected a closing quote (a quote inside a field is written twice, in a quoted field: \"say \"\"hi\"\"\").", ex.Message);
        Assert.Equal(3, ex.Data["Line"]);
        Assert.Equal(2, ex.Data["Row"]);
    }

    [Fact]
    public void Read_QuoteInsideAnUnquotedField_ReportedAsUnclosed()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,2\"x\n3,4\n")));
        Assert.StartsWith("CSV input: line 2 (data row 1) opens a quote that is never closed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnclosedQuoteInACategoricalLastColumn_NotTakenAsOneCategory()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,\"x\n2,y\n"), new CsvReadOptions { CategoricalColumns = ["b"] }));
        Assert.StartsWith("CSV input: line 2 (data row 1) opens a quote that is never closed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"a,b\n1,2\n", 1)]
    [InlineData("\n\r\n\"a,b\n1,2\n", 3)]
    public void Read_UnclosedQuoteInTheHeader_SaysTheHeader(string text, int line)
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader(text)));
        Assert.StartsWith($"CSV input: line {line} (the header) opens a quote that is never closed", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b\n\"1,2\n3,4\n", 2, 1)]
    [InlineData("a,b\n\n1,2\n\n3,\"4\n", 5, 2)]
    [InlineData("a,b\n1,\"x\ny\"\n3,\"4", 4, 2)]
    public void Read_UnclosedQuoteInADataRow_NamesItsFirstLine(string text, int line, int row)
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader(text), new CsvReadOptions { CategoricalColumns = ["b"] }));
        Assert.StartsWith($"CSV input: line {line} (data row {row}) opens a quote that is never closed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DoubledQuotesInQuotedField_NotAnUnclosedQuote()
    {
        CsvData data = CsvTable.Read(new StringReader("a,b\n1,\"say \"\"hi\"\"\"\n"), new CsvReadOptions { CategoricalColumns = ["b"] });
        Assert.Equal(["say \"hi\""], data.Vocabularies["b"]);
    }
}
