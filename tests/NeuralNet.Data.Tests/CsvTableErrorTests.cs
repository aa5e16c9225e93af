using Xunit;

namespace NeuralNet.Data.Tests;

public class CsvTableErrorTests
{
    [Fact]
    public void Read_TextWhereNumberExpected_NamesFileLineRowColumnAndText()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("iris.csv", "sepal,petal,species\n1,2,0\n\n3,abc,1\n");

        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path, new CsvReadOptions { LabelColumns = ["species"] }));

        Assert.Equal($"{path}: line 4 (data row 2), column 'petal': found 'abc'; expected a finite number such as 1.5 or -2e-3 (invariant culture); if 'petal' holds categories, list it in CsvReadOptions.CategoricalColumns.", ex.Message);
        Assert.Equal(path, ex.Data["FileName"]);
        Assert.Equal(4, ex.Data["Line"]);
        Assert.Equal(2, ex.Data["Row"]);
        Assert.Equal("petal", ex.Data["Column"]);
        Assert.Equal("abc", ex.Data["Text"]);
    }

    [Fact]
    public void Read_MissingValue_SaysTheValueIsMissing()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b\n1,\n"), sourceName: "t.csv"));
        Assert.Equal("t.csv: line 2 (data row 1), column 'b': the value is missing; expected a finite number such as 1.5 or -2e-3 (invariant culture), or a default for 'b' in CsvReadOptions.ColumnDefaults (or CsvReadOptions.MissingNumbersAsNaN).", ex.Message);
    }

    [Fact]
    public void Read_MissingCategory_SaysTheValueIsMissing()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,c\n1,x\n2, \n"), new CsvReadOptions { CategoricalColumns = ["c"] }));
        Assert.Equal("CSV input: line 3 (data row 2), column 'c': the value is missing; expected a category, or a default for 'c' in CsvReadOptions.ColumnDefaults.", ex.Message);
    }

    [Theory]
    [InlineData("1,5")]
    [InlineData("NaN")]
    [InlineData("1e39")]
    public void Read_CommaDecimalNaNOrOverflow_Rejected(string value)
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader($"a\n\"{value}\"\n")));
        Assert.Contains($"found '{value}'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("CategoricalColumns", ex.Message, StringComparison.Ordinal); // a number, if a bad one
    }

    [Fact]
    public void Read_RowWithTooFewFields_NamesLineAndCounts()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,b,c\n1,2,3\n4,5\n")));
        Assert.Equal("CSV input: line 3 (data row 2) has 2 fields; expected 3, one per column name.", ex.Message);
    }

    [Fact]
    public void Read_EmptyFile_SaysItIsEmpty()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("empty.csv", "");
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path));
        Assert.Equal($"{path} is empty; expected a header line with the column names, then the data rows.", ex.Message);
    }

    [Fact]
    public void Read_HeaderOnly_SaysThereAreNoDataRows()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("header.csv", "a,b\n");
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(path));
        Assert.Equal($"{path} has no data rows; expected at least one row of values after the header.", ex.Message);
    }

    [Fact]
    public void Read_MissingLabelColumn_ListsTheColumns()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a,b\n1,2\n"), new CsvReadOptions { LabelColumns = ["species"] }));
        Assert.StartsWith("CSV input: label column 'species' is not among the columns (a, b).", ex.Message, StringComparison.Ordinal);
        Assert.Equal("options", ex.ParamName);
    }

    [Fact]
    public void Read_MissingFile_FileNotFound()
    {
        using var folder = new TempFolder();
        Assert.Throws<FileNotFoundException>(() => CsvTable.Read(Path.Combine(folder.Root, "none.csv")));
    }

    [Fact]
    public void Read_ColumnBothFeatureAndLabel_RejectedBeforeReading()
    {
        var reader = new StringReader("a\n1\n");
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(reader, new CsvReadOptions { FeatureColumns = ["a"], LabelColumns = ["a"] }));
        Assert.StartsWith("Column 'a' is both a feature and a label column", ex.Message, StringComparison.Ordinal);
        Assert.Equal('a', (char)reader.Peek());
    }

    [Fact]
    public void Read_NoHeaderWithoutNames_Rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("1\n"), new CsvReadOptions { HasHeader = false }));
        Assert.StartsWith("HasHeader is false but ColumnNames is not set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_CategoricalColumnNotChosen_Rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a,b\n1,x\n"), new CsvReadOptions { FeatureColumns = ["a"], CategoricalColumns = ["b"] }));
        Assert.StartsWith("CSV input: categorical column 'b' is neither a feature nor a label column", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EveryColumnALabel_Rejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a\n1\n"), new CsvReadOptions { LabelColumns = ["a"] }));
        Assert.Equal("CSV input: every column (a) is a label column; expected at least one feature column.", ex.Message);
    }

    [Fact]
    public void Read_DuplicateHeaderNameChosen_Rejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("a,a,b\n1,2,3\n"), new CsvReadOptions { LabelColumns = ["a"] }));
        Assert.Equal("CSV input: the column names hold 'a' twice (fields 1 and 2); expected the label column once.", ex.Message);
    }

    [Theory]
    [InlineData('"', "\"")]
    [InlineData('#', "#")]
    [InlineData('\n', "\\n")]
    [InlineData('\0', "\\u0000")]
    [InlineData('é', "\\u00E9")]
    public void Read_SeparatorSepRejects_RejectedByTheOptionCheckNamingIt(char separator, string shown)
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("a\n1\n"), new CsvReadOptions { Separator = separator }));
        Assert.StartsWith($"Separator is '{shown}', which cannot separate fields; expected '\\t' or a character with code 31 to 126 other than '\"' (it quotes) and '#'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("options", ex.ParamName);
    }

    [Fact]
    public void ReadChunks_PathWithBadSeparator_RejectedBeforeTheFileIsOpened()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "a\n1\n");
        // Thrown by the call, not when the chunks are enumerated (where Sep used to throw its own message).
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.ReadChunks(path, 2, new CsvReadOptions { Separator = '#' }));
        Assert.StartsWith("Separator is '#'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Separator_EveryChar_AcceptedExactlyWhenSepAcceptsIt()
    {
        foreach (int c in Enumerable.Range(0, 300).Append(0x2028).Append(char.MaxValue))
        {
            bool sepAccepts;
            try
            {
                _ = new nietras.SeparatedValues.Sep((char)c);
                sepAccepts = true;
            }
            catch (ArgumentException)
            {
                sepAccepts = false;
            }

            Assert.True(sepAccepts == CsvOptionsCheck.IsSeparator((char)c), $"char {c}: Sep {(sepAccepts ? "accepts" : "rejects")} it");
        }
    }

    [Fact]
    public void Open_ParserRejectsTheOptions_DisposesTheReader()
    {
        var text = new DisposalRecordingReader("a\n1\n");
        Assert.ThrowsAny<ArgumentException>(() => CsvReading.Open(() => text, new CsvReadOptions { Separator = '#' })); // unchecked options reach Sep
        Assert.True(text.Disposed);
    }

    private sealed class DisposalRecordingReader(string text) : StringReader(text)
    {
        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("\t")]
    public void Read_FixedVocabularyWithABlankCategory_RejectedNamingTheColumn(string blank)
    {
        var options = new CsvReadOptions
        {
            CategoricalColumns = ["c"],
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["x", blank] },
        };
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader("c\nx\n"), options));
        Assert.Equal($"The vocabulary of 'c' has the blank category '{blank}' at index 1, which no cell can match (a blank cell is a missing value); expected categories with text. (Parameter 'options')", ex.Message);
    }

    [Fact]
    public void Read_OneHotColumnWithTooManyCategoriesForOneTensor_NamesTheColumnAndItsSize()
    {
        var text = new System.Text.StringBuilder("x,id\n");
        for (int i = 0; i < 50_000; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i},c{i}\n");
        }

        var options = new CsvReadOptions { CategoricalColumns = ["id"], CategoricalEncoding = CategoricalEncoding.OneHot };
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader(text.ToString()), options, "ids.csv"));
        Assert.Equal($"ids.csv: one-hot feature column 'id' has 50000 categories; with the other columns that makes 50000 rows of 50001 feature values, more than one tensor holds ({Array.MaxLength}). Expected fewer categories, CategoricalEncoding Integer, or fewer rows at a time (CsvTable.ReadChunks).", ex.Message);
    }

    [Fact]
    public void Read_Cancelled_Throws()
    {
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.Throws<OperationCanceledException>(() => CsvTable.Read(new StringReader("a\n1\n"), cancellationToken: source.Token));
    }
}
