using Xunit;

namespace NeuralNet.Data.Tests;

public class CsvTableTests
{
    private const string Table = "a,b,label\n1.5,-2,0\n3e1,0.25,1\n";

    [Fact]
    public void Read_NumericTableWithLabel_FeaturesAndLabelsExact()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", Table);

        CsvData data = CsvTable.Read(path, new CsvReadOptions { LabelColumns = ["label"] });

        Assert.Equal(new TensorShape(2, 2), data.Features.Shape);
        Assert.Equal([1.5f, -2f, 30f, 0.25f], data.Features.ToArray());
        Assert.Equal(new TensorShape(2, 1), data.Labels!.Shape);
        Assert.Equal([0f, 1f], data.Labels.ToArray());
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal(["label"], data.LabelNames);
        Assert.Equal(2, data.RowCount);
        Assert.Empty(data.Vocabularies);
    }

    [Fact]
    public void Read_DefaultOptions_EveryColumnAFeatureAndNoLabels()
    {
        CsvData data = CsvTable.Read(new StringReader(Table));
        Assert.Equal(["a", "b", "label"], data.FeatureNames);
        Assert.Equal([1.5f, -2f, 0f, 30f, 0.25f, 1f], data.Features.ToArray());
        Assert.Null(data.Labels);
        Assert.Empty(data.LabelNames);
    }

    [Fact]
    public void Read_FeatureColumnsGiven_TakesThemInTheGivenOrder()
    {
        var (x, y) = CsvTable.Read(new StringReader(Table), new CsvReadOptions { FeatureColumns = ["label", "a"], LabelColumns = ["b"] });
        Assert.Equal([0f, 1.5f, 1f, 30f], x.ToArray());
        Assert.Equal([-2f, 0.25f], y!.ToArray());
    }

    [Fact]
    public void Read_CategoricalInteger_IdsOfTheSortedVocabulary()
    {
        const string text = "colour,size,species\nred,1,virginica\nblue,2,setosa\nred,3,versicolor\ngreen,4,setosa\n";
        CsvData data = CsvTable.Read(new StringReader(text), new CsvReadOptions
        {
            LabelColumns = ["species"],
            CategoricalColumns = ["colour", "species"],
        });

        Assert.Equal(["blue", "green", "red"], data.Vocabularies["colour"]);
        Assert.Equal(["setosa", "versicolor", "virginica"], data.Vocabularies["species"]);
        Assert.Equal([2f, 1f, 0f, 2f, 2f, 3f, 1f, 4f], data.Features.ToArray());
        Assert.Equal([2f, 0f, 1f, 0f], data.Labels!.ToArray());
        Assert.Equal(["colour", "size"], data.FeatureNames);
    }

    [Fact]
    public void Read_CategoricalOneHot_OneColumnPerCategoryNamedColumnEqualsCategory()
    {
        const string text = "colour,size,species\nred,1,b\nblue,2,a\n";
        CsvData data = CsvTable.Read(new StringReader(text), new CsvReadOptions
        {
            LabelColumns = ["species"],
            CategoricalColumns = ["colour", "species"],
            CategoricalEncoding = CategoricalEncoding.OneHot,
            LabelEncoding = CategoricalEncoding.OneHot,
        });

        Assert.Equal(["colour=blue", "colour=red", "size"], data.FeatureNames);
        Assert.Equal([0f, 1f, 1f, 1f, 0f, 2f], data.Features.ToArray());
        Assert.Equal(["species=a", "species=b"], data.LabelNames);
        Assert.Equal([0f, 1f, 1f, 0f], data.Labels!.ToArray());
    }

    [Fact]
    public void Read_FixedVocabulary_KeepsItsOrderAndRejectsOtherValues()
    {
        var options = new CsvReadOptions
        {
            CategoricalColumns = ["c"],
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["z", "y", "x"] },
        };
        Assert.Equal([2f, 0f], CsvTable.Read(new StringReader("c\nx\nz\n"), options).Features.ToArray());

        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("c\nx\nw\n"), options, "codes.csv"));
        Assert.Equal("codes.csv: line 3 (data row 2), column 'c': found 'w'; expected one of the categories 'z', 'y', 'x'.", ex.Message);
    }

    [Fact]
    public void Read_SemicolonSeparatorAndQuotedFields_Unquoted()
    {
        const string text = "name;value\n\"a;b\";\"1.5\"\n\"say \"\"hi\"\"\";2\n";
        CsvData data = CsvTable.Read(new StringReader(text), new CsvReadOptions { Separator = ';', CategoricalColumns = ["name"] });
        Assert.Equal(["a;b", "say \"hi\""], data.Vocabularies["name"]);
        Assert.Equal([0f, 1.5f, 1f, 2f], data.Features.ToArray());
    }

    [Fact]
    public void Read_NoHeaderWithColumnNames_FirstLineIsData()
    {
        CsvData data = CsvTable.Read(new StringReader("1,2\n3,4\n"), new CsvReadOptions { HasHeader = false, ColumnNames = ["x", "y"], LabelColumns = ["y"] });
        Assert.Equal([1f, 3f], data.Features.ToArray());
        Assert.Equal([2f, 4f], data.Labels!.ToArray());
    }

    [Fact]
    public void Read_HeaderWithColumnNames_NamesReplaceTheHeader()
    {
        CsvData data = CsvTable.Read(new StringReader("p,q\n1,2\n"), new CsvReadOptions { ColumnNames = ["x", "y"], LabelColumns = ["y"] });
        Assert.Equal(["x"], data.FeatureNames);
        Assert.Equal([2f], data.Labels!.ToArray());
    }

    [Fact]
    public void Read_BlankLines_Skipped()
    {
        CsvData data = CsvTable.Read(new StringReader("a,b\n1,2\n\n3,4\n\n"));
        Assert.Equal([1f, 2f, 3f, 4f], data.Features.ToArray());
    }

    [Theory]
    [InlineData("\na,b\n1,2\n")]
    [InlineData("\r\n\r\na,b\r\n1,2\r\n")]
    public void Read_BlankLinesBeforeTheHeader_Skipped(string text)
    {
        CsvData data = CsvTable.Read(new StringReader(text));
        Assert.Equal(["a", "b"], data.FeatureNames);
        Assert.Equal([1f, 2f], data.Features.ToArray());
    }

    [Fact]
    public void Read_BlankLineBeforeTheHeader_LaterLinesNumberedInTheFile()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("\na,b\n1,x\n")));
        Assert.StartsWith("CSV input: line 3 (data row 1), column 'b': found 'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OnlyBlankLines_SaysItIsEmpty()
    {
        var ex = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("\n\n")));
        Assert.Equal("CSV input is empty; expected a header line with the column names, then the data rows.", ex.Message);
    }

    [Fact]
    public void Read_OneColumnQuotedEmptyValue_IsMissingNotABlankLine()
    {
        var error = Assert.Throws<InvalidDataException>(() => CsvTable.Read(new StringReader("x\n1\n\"\"\n3\n")));
        Assert.Contains("the value is missing", error.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 3f], CsvTable.Read(new StringReader("x\r\n1\r\n\r\n3\r\n")).Features.ToArray());
    }

    [Fact]
    public void Read_TextReader_LeftOpenForTheCaller()
    {
        using var text = new StringReader("a\n1\n");
        CsvTable.Read(text);
        Assert.Equal(-1, text.Peek()); // a disposed reader would throw ObjectDisposedException
    }

    [Fact]
    public void Read_RepeatedHeaderNameNotChosenByName_Allowed()
    {
        CsvData data = CsvTable.Read(new StringReader("a,a,b\n1,2,3\n"), new CsvReadOptions { LabelColumns = ["b"] });
        Assert.Equal(["a", "a"], data.FeatureNames);
        Assert.Equal([1f, 2f], data.Features.ToArray());
    }
}
