using Xunit;

namespace NeuralNet.Plotting.Tests;

public sealed class FigureTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)] // one family named "": what SkiaSharp's Linux font manager lists when /usr/share/fonts holds no font
    public void RequireFont_NoInstalledFamily_ThrowsSayingWhatToInstall(int blankFamilies)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Figure.RequireFont(Enumerable.Repeat(string.Empty, blankFamilies)));

        Assert.Contains("no font", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/usr/share/fonts/", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install fonts-dejavu-core", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireFont_PreferredFamilyInstalled_PicksItWhateverTheCase()
    {
        Assert.Equal("Liberation Sans", Figure.RequireFont(["Some Serif", "liberation sans", "Noto Sans"]));
    }

    [Fact]
    public void RequireFont_NoPreferredFamily_PicksAnInstalledOne()
    {
        string chosen = Figure.RequireFont(["Zeta Grotesk", "Alpha Mono"]);

        Assert.Contains(chosen, new[] { "Zeta Grotesk", "Alpha Mono" });
    }

    [Fact]
    public void FontName_OnThisMachine_IsAnInstalledFamily()
    {
        Assert.Contains(Figure.FontName, SkiaSharp.SKFontManager.Default.FontFamilies, StringComparer.OrdinalIgnoreCase);
    }
}
