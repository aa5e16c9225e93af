using NeuralNet.Layers;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>
/// <see cref="CsvData.ToFeatureColumns()"/>: a CSV table as the named columns Keras' FeatureSpace takes from pandas'
/// read_csv (texts, whole numbers as integers, other numbers as floats); checked by what a FeatureSpace makes of them
/// against columns written by hand.
/// </summary>
public class CsvFeatureColumnsTests
{
    private const string Cars = "name,cylinders,weight,origin,mpg\n" +
        "a,8,3504,USA,18\nb,4,2130,Japan,24.5\nc,6,2800,\"Europe\",21\nd,4,1835,Japan,27.5\n";

    private static CsvData ReadCars() =>
        CsvTable.Read(new StringReader(Cars), new CsvReadOptions { InferColumnTypes = true, LabelColumns = ["mpg"] });

    [Fact]
    public void ToFeatureColumns_KindsAsPandasReadsThem_TextsIntegersFloats()
    {
        IReadOnlyDictionary<string, FeatureColumn> columns = ReadCars().ToFeatureColumns();

        Assert.Equal(["name", "cylinders", "weight", "origin", "mpg"], columns.Keys);
        Assert.Equal(["string", "int", "int", "string", "float"], columns.Values.Select(c => c.Kind));
        Assert.All(columns.Values, c => Assert.Equal(4, c.Count));
    }

    [Fact]
    public void ToFeatureColumns_FeatureSpaceTransformsThemAsTheSameColumnsWrittenByHand()
    {
        FeatureSpace Space() => new(new Dictionary<string, Feature>
        {
            ["cylinders"] = "integer_categorical",
            ["origin"] = "string_categorical",
            ["weight"] = "float_normalized",
            ["mpg"] = "float",
        });
        var byHand = new Dictionary<string, FeatureColumn>
        {
            ["cylinders"] = new long[] { 8, 4, 6, 4 },
            ["origin"] = new[] { "USA", "Japan", "Europe", "Japan" },
            ["weight"] = new long[] { 3504, 2130, 2800, 1835 },
            ["mpg"] = new[] { 18f, 24.5f, 21f, 27.5f },
        };
        FeatureSpace expected = Space(), actual = Space();
        expected.Adapt(byHand);
        IReadOnlyDictionary<string, FeatureColumn> fromCsv = ReadCars().ToFeatureColumns();
        actual.Adapt(fromCsv);

        Tensor want = expected.Transform(byHand), got = actual.Transform(fromCsv);
        Assert.Equal(want.Shape, got.Shape);
        Assert.Equal(want.ToArray(), got.ToArray());
    }

    [Fact]
    public void ToFeatureColumns_OfRows_TakesThoseRowsInOrderWithTheWholeTablesKinds()
    {
        // weight's 4th value is not whole: the column is floats for every subset, also rows that hold whole numbers.
        CsvData data = CsvTable.Read(new StringReader("weight,origin\n3504,USA\n2130,Japan\n2800,Europe\n1835.5,Japan\n"),
            new CsvReadOptions { InferColumnTypes = true });
        IReadOnlyDictionary<string, FeatureColumn> rows = data.ToFeatureColumns([2, 0]);

        var space = new FeatureSpace(new Dictionary<string, Feature> { ["weight"] = "float", ["origin"] = FeatureSpace.StringHashed(numBins: 1024, outputMode: CategoryOutputMode.Int) }, FeatureSpaceOutputMode.Dict);
        var byHand = new Dictionary<string, FeatureColumn> { ["weight"] = new[] { 2800f, 3504f }, ["origin"] = new[] { "Europe", "USA" } };
        Assert.Equal("float", rows["weight"].Kind);
        Assert.Equal(space.TransformToDictionary(byHand)["origin"].ToArray(), space.TransformToDictionary(rows)["origin"].ToArray());
        Assert.Equal([2800f, 3504f], space.TransformToDictionary(rows)["weight"].ToArray());
    }

    [Fact]
    public void ToFeatureColumns_NaNFromMissingNumbers_FloatsWithNaN()
    {
        CsvData data = CsvTable.Read(new StringReader("n\n1\nNA\n3\n"), new CsvReadOptions { NaValues = ["NA"], MissingNumbersAsNaN = true });
        FeatureColumn column = data.ToFeatureColumns()["n"];
        Assert.Equal("float", column.Kind);
    }

    [Fact]
    public void ToFeatureColumns_OneHotEncodedColumn_RefusedNamingTheColumnAndTheOption()
    {
        CsvData data = CsvTable.Read(new StringReader(Cars), new CsvReadOptions
        {
            InferColumnTypes = true, LabelColumns = ["mpg"], CategoricalEncoding = CategoricalEncoding.OneHot,
        });

        var error = Assert.Throws<InvalidOperationException>(() => data.ToFeatureColumns());
        Assert.Contains("feature column 'name=a' is one column of a one-hot encoded categorical column", error.Message, StringComparison.Ordinal);
        Assert.Contains("CategoricalEncoding = CategoricalEncoding.Integer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToFeatureColumns_RowOutsideTheTable_RefusedNamingTheIndexAndTheRowCount()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ReadCars().ToFeatureColumns([0, 4]));
        Assert.Contains("Row index 4 (at position 1 of the row list) is outside the table's 4 rows", error.Message, StringComparison.Ordinal);
    }
}
