using System.Globalization;
using System.Text;
using NeuralNet.Tests;
using nietras.SeparatedValues;
using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>The row loop allocates nothing per numeric field, with or without missing-value markers.</summary>
public class CsvReadingAllocationTests
{
    private static string NumericTable(int rows)
    {
        string[] gaps = ["NA", "?", "NULL", "n/a", "", "-999"];
        var text = new StringBuilder("a,b,c\n");
        for (int i = 0; i < rows; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i * 0.25},{(i % 7 == 0 ? gaps[i % gaps.Length] : (i * 3).ToString(CultureInfo.InvariantCulture))},-{i}e-2\n");
        }

        return text.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadRows_NumericColumnsAfterWarmUp_AllocateNothing(bool markers)
    {
        var options = markers
            ? new CsvReadOptions { NaValue = "-999", NaValues = ["NA", "?"], UsePandasNaValues = true, MissingNumbersAsNaN = true }
            : new CsvReadOptions { ColumnDefaults = new Dictionary<string, string> { ["b"] = "0" } };
        string table = markers ? NumericTable(4_000) : NumericTable(4_000).Replace("NA,", "1,").Replace("?,", "1,").Replace("NULL,", "1,").Replace("n/a,", "1,").Replace("-999,", "1,");
        using SepReader reader = CsvReading.Open(new StringReader(table), options);
        CsvSchema schema = CsvReading.ReadSchema(reader, options, "t.csv");
        var buffer = new CsvRowBuffer(schema, initialRows: 4_000);
        int dataRow = 0;
        Assert.Equal(100, CsvReading.ReadRows(reader, schema, buffer, 100, ref dataRow, CancellationToken.None));

        AllocationCheck.AssertNone(() => CsvReading.ReadRows(reader, schema, buffer, 1_000, ref dataRow, CancellationToken.None));

        Assert.True(dataRow >= 1_100);
    }
}
