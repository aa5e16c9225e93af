using System.Globalization;
using System.Text;
using Xunit;

namespace NeuralNet.Data.Tests;

public class CsvTableChunkTests
{
    private static string WriteTable(TempFolder folder, int rows)
    {
        var text = new StringBuilder("x,colour,y\n");
        string[] colours = ["red", "green", "blue"];
        for (int i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i * 0.5},{colours[(i * 7) % 3]},{i % 2}\n");
        }

        return folder.WriteText("big.csv", text.ToString());
    }

    private static readonly CsvReadOptions s_options = new() { LabelColumns = ["y"], CategoricalColumns = ["colour"], CategoricalEncoding = CategoricalEncoding.OneHot };

    [Fact]
    public void ReadChunks_File_ChunksJoinToTheWholeRead()
    {
        using var folder = new TempFolder();
        string path = WriteTable(folder, 10);
        CsvData whole = CsvTable.Read(path, s_options);

        CsvData[] chunks = [.. CsvTable.ReadChunks(path, 4, s_options)];

        Assert.Equal([4, 4, 2], chunks.Select(c => c.RowCount));
        Assert.Equal(whole.Features.ToArray(), chunks.SelectMany(c => c.Features.ToArray()));
        Assert.Equal(whole.Labels!.ToArray(), chunks.SelectMany(c => c.Labels!.ToArray()));
        Assert.All(chunks, c => Assert.Equal(["x", "colour=blue", "colour=green", "colour=red"], c.FeatureNames));
        Assert.All(chunks, c => Assert.Equal(["blue", "green", "red"], c.Vocabularies["colour"]));
    }

    [Fact]
    public void ReadChunks_BadValueInALaterChunk_EarlierChunksReadFirst()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "a\n1\n2\n3\nx\n");
        using IEnumerator<CsvData> chunks = CsvTable.ReadChunks(path, 2).GetEnumerator();
        Assert.True(chunks.MoveNext());
        Assert.Equal([1f, 2f], chunks.Current.Features.ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => chunks.MoveNext());
        Assert.StartsWith($"{path}: line 5 (data row 4), column 'a': found 'x'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChunks_TextReaderWithVocabulary_EncodesWithIt()
    {
        var options = new CsvReadOptions
        {
            CategoricalColumns = ["c"],
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["b", "a"] },
        };
        CsvData[] chunks = [.. CsvTable.ReadChunks(new StringReader("c\na\nb\na\n"), 2, options)];
        Assert.Equal([[1f, 0f], [1f]], chunks.Select(c => c.Features.ToArray()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadChunks_TextReaderEnumeratedTwice_SecondEnumerationThrows(bool readAllFirst)
    {
        var text = new StringBuilder("a,b\n");
        for (int i = 0; i < 10_000; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},{i * 2}\n");
        }

        IEnumerable<CsvData> chunks = CsvTable.ReadChunks(new StringReader(text.ToString()), 1000);
        Assert.Equal([0f, 0f, 1f, 2f], readAllFirst
            ? chunks.ToList()[0].Features.Slice(0, 2).ToArray()
            : chunks.First().Features.Slice(0, 2).ToArray());

        var ex = Assert.Throws<InvalidOperationException>(() => chunks.GetEnumerator());
        Assert.StartsWith("These CSV chunks come from a TextReader, which can be read once, and were already enumerated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("pass the file's path to CsvTable.ReadChunks", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChunks_PathEnumeratedTwice_SameChunks()
    {
        using var folder = new TempFolder();
        IEnumerable<CsvData> chunks = CsvTable.ReadChunks(WriteTable(folder, 10), 4, s_options);
        Assert.Equal(chunks.SelectMany(c => c.Features.ToArray()), chunks.SelectMany(c => c.Features.ToArray()));
    }

    [Fact]
    public void ReadChunks_PathWithOpenVocabulary_CollectingPassOnlyOnTheFirstEnumeration()
    {
        using var folder = new TempFolder();
        string path = WriteTable(folder, 10);
        int opens = 0;
        var chunks = new CsvTable.FileChunks(() => { opens++; return new StreamReader(path); }, path, 4, s_options, CancellationToken.None);

        float[] first = [.. chunks.SelectMany(c => c.Features.ToArray())];
        Assert.Equal(2, opens); // the collecting pass, then the chunks
        float[] second = [.. chunks.SelectMany(c => c.Features.ToArray())];
        Assert.Equal(3, opens);
        Assert.Equal(first, second);
    }

    [Fact]
    public void ReadChunks_CategoryAddedToTheFileAfterTheFirstEnumeration_OutsideTheKeptVocabulary()
    {
        using var folder = new TempFolder();
        string path = WriteTable(folder, 10);
        IEnumerable<CsvData> chunks = CsvTable.ReadChunks(path, 4, s_options);
        Assert.All(chunks, c => Assert.Equal(["blue", "green", "red"], c.Vocabularies["colour"]));

        File.AppendAllText(path, "5,purple,1\n");
        var ex = Assert.Throws<InvalidDataException>(() => chunks.ToList());
        Assert.Equal($"{path}: line 12 (data row 11), column 'colour': found 'purple'; expected one of the categories 'blue', 'green', 'red'.", ex.Message);
        Assert.Equal(["blue", "green", "purple", "red"], CsvTable.ReadChunks(path, 4, s_options).First().Vocabularies["colour"]); // a new call collects afresh
    }

    [Fact]
    public void WithVocabularies_CopiesEveryProperty()
    {
        var options = new CsvReadOptions
        {
            Separator = ';',
            HasHeader = false,
            Decimal = ',',
            Thousands = '.',
            ColumnNames = ["a", "b", "c"],
            LabelColumns = ["c"],
            FeatureColumns = ["b", "a"],
            CategoricalColumns = ["a", "c"],
            CategoricalEncoding = CategoricalEncoding.OneHot,
            LabelEncoding = CategoricalEncoding.OneHot,
            Vocabularies = new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["x"] },
            NaValue = "NA",
            NaValues = ["?"],
            UsePandasNaValues = true,
            InferColumnTypes = true,
            RowsForInference = 7,
            ColumnDefaults = new Dictionary<string, string> { ["b"] = "0" },
            MissingNumbersAsNaN = true,
        };
        CsvReadOptions copy = options.WithVocabularies(new Dictionary<string, IReadOnlyList<string>> { ["c"] = ["y"], ["a"] = ["ignored"] });

        foreach (System.Reflection.PropertyInfo property in typeof(CsvReadOptions).GetProperties().Where(p => p.Name != nameof(CsvReadOptions.Vocabularies)))
        {
            Assert.Equal(property.GetValue(options), property.GetValue(copy));
            // Every property is set off its default above, so a property the copy forgets fails here.
            Assert.NotEqual(property.GetValue(new CsvReadOptions()), property.GetValue(options));
        }

        Assert.Equal(["x"], copy.Vocabularies!["a"]); // a vocabulary given wins
        Assert.Equal(["y"], copy.Vocabularies["c"]);
    }

    [Fact]
    public void ReadChunks_TextReaderWithoutVocabulary_RejectedAtOnce()
    {
        var ex = Assert.Throws<ArgumentException>(() => CsvTable.ReadChunks(new StringReader("c\na\n"), 2, new CsvReadOptions { CategoricalColumns = ["c"] }));
        Assert.StartsWith("Categorical column 'c' has no vocabulary in Vocabularies", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChunks_ZeroRowsPerChunk_RejectedAtOnce()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CsvTable.ReadChunks(new StringReader("a\n1\n"), 0));
    }

    [Fact]
    public void ReadChunks_MissingFile_RejectedAtOnceAsReadRejectsIt()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Root, "none.csv");
        var chunks = Assert.Throws<FileNotFoundException>(() => CsvTable.ReadChunks(path, 2));
        var whole = Assert.Throws<FileNotFoundException>(() => CsvTable.Read(path));
        Assert.Equal(whole.Message, chunks.Message);
        Assert.Equal(path, chunks.FileName);
    }

    [Fact]
    public void ReadChunks_MissingFolder_DirectoryNotFoundAsRead()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Root, "nowhere", "t.csv");
        var chunks = Assert.Throws<DirectoryNotFoundException>(() => CsvTable.ReadChunks(path, 2));
        var whole = Assert.Throws<DirectoryNotFoundException>(() => CsvTable.Read(path));
        Assert.Equal(whole.Message, chunks.Message);
        Assert.Contains(path, chunks.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadChunks_HeaderOnly_ThrowsWhenEnumerated()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("t.csv", "a,b\n");
        Assert.Throws<InvalidDataException>(() => CsvTable.ReadChunks(path, 2).ToList());
    }
}
