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

        Assert.Equal(
            new Dictionary<string, string> { ["name"] = "string", ["cylinders"] = "int", ["weight"] = "int", ["origin"] = "string", ["mpg"] = "float" },
            columns.ToDictionary(c => c.Key, c => c.Value.Kind));
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
    public void SelectRows_TakesThoseRowsInOrder_ColumnsAndLabelsOfThoseRows()
    {
        CsvData data = CsvTable.Read(new StringReader("weight,origin,y\n3504,USA,1\n2130,Japan,2\n2800,Europe,3\n1835.5,Japan,4\n"),
            new CsvReadOptions { InferColumnTypes = true, LabelColumns = ["y"] });
        CsvData rows = data.SelectRows([2, 0, 2]);

        Assert.Equal(3, rows.RowCount);
        Assert.Equal([2800f, 0f, 3504f, 2f, 2800f, 0f], rows.Features.ToArray()); // origin ids: Europe 0, Japan 1, USA 2
        Assert.Equal([3f, 1f, 3f], rows.Labels!.ToArray());
        Assert.Equal(data.Vocabularies["origin"], rows.Vocabularies["origin"]);

        // A subset decides its kinds on its own rows: weight is whole in these three, not in the table.
        Assert.Equal("float", data.ToFeatureColumns()["weight"].Kind);
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["weight"] = "float", ["origin"] = FeatureSpace.StringHashed(numBins: 1024, outputMode: CategoryOutputMode.Int) }, FeatureSpaceOutputMode.Dict);
        var byHand = new Dictionary<string, FeatureColumn> { ["weight"] = new long[] { 2800, 3504, 2800 }, ["origin"] = new[] { "Europe", "USA", "Europe" } };
        IReadOnlyDictionary<string, FeatureColumn> columns = rows.ToFeatureColumns();
        Assert.Equal("int", columns["weight"].Kind);
        Assert.Equal(space.TransformToDictionary(byHand)["origin"].ToArray(), space.TransformToDictionary(columns)["origin"].ToArray());
        Assert.Equal([2800f, 3504f, 2800f], space.TransformToDictionary(columns)["weight"].ToArray());
    }

    [Fact]
    public void ToFeatureColumns_NaNFromMissingNumbers_FloatsWithNaN()
    {
        CsvData data = CsvTable.Read(new StringReader("n\n1\nNA\n3\n"), new CsvReadOptions { NaValues = ["NA"], MissingNumbersAsNaN = true });
        FeatureColumn column = data.ToFeatureColumns()["n"];

        Assert.Equal("float", column.Kind);
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["n"] = "float" }, FeatureSpaceOutputMode.Dict);
        Assert.Equal([1f, float.NaN, 3f], space.TransformToDictionary(new Dictionary<string, FeatureColumn> { ["n"] = column })["n"].ToArray());
    }

    [Fact]
    public void ToFeatureColumns_WholeValuesBeyondFloatsExactRange_IntegersThatAnIntegerFeatureRefusesNamingTheLimit()
    {
        CsvData data = CsvTable.Read(new StringReader("id\n33554432\n7\n"), new CsvReadOptions());
        FeatureColumn column = data.ToFeatureColumns()["id"];

        Assert.Equal("int", column.Kind);
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["id"] = FeatureSpace.IntegerHashed(numBins: 8) });
        var error = Assert.Throws<ArgumentException>(() => space.Transform(new Dictionary<string, FeatureColumn> { ["id"] = column }));
        Assert.Contains("33554432", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToFeatureColumns_OneHotLabel_LeftOutAndTheFeaturesGiven()
    {
        CsvData data = CsvTable.Read(new StringReader(Cars), new CsvReadOptions
        {
            InferColumnTypes = true, LabelColumns = ["origin"], LabelEncoding = CategoricalEncoding.OneHot,
        });

        IReadOnlyDictionary<string, FeatureColumn> columns = data.ToFeatureColumns();
        Assert.Equal(["cylinders", "mpg", "name", "weight"], columns.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, data.Labels!.Shape[1]);
    }

    [Fact]
    public void ToFeatureColumns_RepeatedColumnName_RefusedNamingItAndTheWayOut()
    {
        CsvData data = CsvTable.Read(new StringReader("a,b,a\n1,2,3\n"), new CsvReadOptions());
        var error = Assert.Throws<InvalidOperationException>(() => data.ToFeatureColumns());
        Assert.Contains("feature column 'a' appears twice", error.Message, StringComparison.Ordinal);
        Assert.Contains("CsvReadOptions.ColumnNames", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToFeatureColumns_OneHotEncodedColumn_RefusedNamingTheColumnAndTheOption()
    {
        CsvData data = CsvTable.Read(new StringReader(Cars), new CsvReadOptions
        {
            InferColumnTypes = true, LabelColumns = ["mpg"], CategoricalEncoding = CategoricalEncoding.OneHot,
        });

        var error = Assert.Throws<InvalidOperationException>(() => data.ToFeatureColumns());
        Assert.Contains("feature column 'name' was one-hot encoded ('name=a', ...)", error.Message, StringComparison.Ordinal);
        Assert.Contains("CategoricalEncoding = CategoricalEncoding.Integer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SelectRows_RowOutsideTheTable_RefusedNamingTheIndexAndTheRowCount()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ReadCars().SelectRows([0, 4]));
        Assert.Contains("Row index 4 (at position 1 of the row list) is outside the table's 4 rows", error.Message, StringComparison.Ordinal);
    }
}
