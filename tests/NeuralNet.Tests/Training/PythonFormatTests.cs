using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// Expected strings are CPython 3's format(value, spec), so that a ModelCheckpoint path written for Keras names the same files.
public class PythonFormatTests
{
    [Theory]
    [InlineData(0.123456789, ".2f", "0.12")]
    [InlineData(0.125, ".2f", "0.12")]
    [InlineData(0.375, ".2f", "0.38")]
    [InlineData(2.5, ".0f", "2")]
    [InlineData(0.995, ".2f", "0.99")]
    [InlineData(-0.3456, "08.3f", "-000.346")]
    [InlineData(0.123456789, "10.4f", "    0.1235")]
    [InlineData(0.123456789, "f", "0.123457")]
    [InlineData(0.123456789, ".2e", "1.23e-01")]
    [InlineData(0.123456789, "e", "1.234568e-01")]
    [InlineData(0.123456789, "E", "1.234568E-01")]
    [InlineData(9.9999, ".2e", "1.00e+01")]
    [InlineData(0.0, ".2e", "0.00e+00")]
    [InlineData(-0.0, ".2f", "-0.00")]
    [InlineData(0.123456789, "012.2e", "00001.23e-01")]
    [InlineData(0.123456789, ".0e", "1e-01")]
    [InlineData(1e+16, ".2e", "1.00e+16")]
    [InlineData(0.123456789, ".3g", "0.123")]
    [InlineData(0.00012345, "g", "0.00012345")]
    [InlineData(1.5e-07, "g", "1.5e-07")]
    [InlineData(1234567.0, "g", "1.23457e+06")]
    [InlineData(100.0, "g", "100")]
    [InlineData(1234567.0, "G", "1.23457E+06")]
    [InlineData(0.0, "g", "0")]
    [InlineData(9.9999, ".3g", "10")]
    [InlineData(0.123456789, ".3", "0.123")]
    [InlineData(123.456, ".3", "1.23e+02")]
    [InlineData(12.3456, ".3", "12.3")]
    [InlineData(100.0, ".3", "1e+02")]
    [InlineData(1.0, ".3", "1.0")]
    [InlineData(1e-05, ".3", "1e-05")]
    [InlineData(0.0, ".3", "0.0")]
    [InlineData(2.5, ".0", "2e+00")]
    [InlineData(0.6931471805599453, "", "0.6931471805599453")]
    [InlineData(1.0, "", "1.0")]
    [InlineData(1e-05, "", "1e-05")]
    [InlineData(0.00012345, "", "0.00012345")]
    [InlineData(1e+16, "", "1e+16")]
    [InlineData(1e+15, "", "1000000000000000.0")]
    [InlineData(1234567.0, "", "1234567.0")]
    [InlineData(123.456, "3", "123.456")]
    [InlineData(0.5, "010", "00000000.5")]
    [InlineData(-0.0, "", "-0.0")]
    [InlineData(5e-324, ".3", "4.94e-324")]
    [InlineData(0.123456789, "%", "12.345679%")]
    [InlineData(0.123456789, ".1%", "12.3%")]
    [InlineData(0.123456789, ".2F", "0.12")]
    [InlineData(double.NaN, ".2f", "nan")]
    [InlineData(double.NaN, "08.2f", "00000nan")]
    [InlineData(double.NaN, "E", "NAN")]
    [InlineData(double.NegativeInfinity, ".3", "-inf")]
    [InlineData(double.PositiveInfinity, "F", "INF")]
    public void Format_Float_MatchesCPython(double value, string spec, string expected)
    {
        Assert.True(PythonFormat.TryParse(spec, integer: false, out PythonFormat.Spec parsed, out string? reason), reason);
        Assert.Equal(expected, PythonFormat.Format(value, parsed));
    }

    [Theory]
    [InlineData(1, "03", "001")]
    [InlineData(1, "3", "  1")]
    [InlineData(13, "03d", "013")]
    [InlineData(1, "d", "1")]
    [InlineData(120, "", "120")]
    [InlineData(-7, "05d", "-0007")]
    [InlineData(1, ".2f", "1.00")]
    [InlineData(13, "e", "1.300000e+01")]
    [InlineData(1, "%", "100.000000%")]
    [InlineData(1, "0", "1")]
    public void Format_Integer_MatchesCPython(long value, string spec, string expected)
    {
        Assert.True(PythonFormat.TryParse(spec, integer: true, out PythonFormat.Spec parsed, out string? reason), reason);
        Assert.Equal(expected, PythonFormat.Format(value, parsed));
    }

    [Theory]
    [InlineData("<5", false)]
    [InlineData("+.2f", false)]
    [InlineData(",d", true)]
    [InlineData("x", true)]
    [InlineData(".2d", true)]
    [InlineData(".3", true)]
    [InlineData("02d", false)]
    [InlineData("D3", true)]
    public void TryParse_SpecsOutsideTheSubsetOrThatPythonRejects_ReturnFalseWithAReason(string spec, bool integer)
    {
        Assert.False(PythonFormat.TryParse(spec, integer, out _, out string? reason));
        Assert.False(string.IsNullOrEmpty(reason));
    }
}
