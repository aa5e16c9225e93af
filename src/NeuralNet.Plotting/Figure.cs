using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace NeuralNet.Plotting;

/// <summary>
/// Shared look and rendering for every chart: one sans-serif font, a Category10-like palette, a title band on top,
/// ScottPlot panels laid out in a grid below it, and PNG encoding.
/// </summary>
internal static class Figure
{
    /// <summary>Height of the band holding the figure title, in pixels.</summary>
    public const int TitleBandHeight = 52;

    /// <summary>Largest width or height of a picture, in pixels.</summary>
    public const int MaxCanvasSize = 16384;

    /// <summary>Font size of the figure title.</summary>
    public const float TitleFontSize = 22;

    /// <summary>Font size of panel titles.</summary>
    public const float PanelTitleFontSize = 18;

    /// <summary>Font size of axis labels.</summary>
    public const float AxisLabelFontSize = 16;

    /// <summary>Font size of tick labels and legends.</summary>
    public const float TickFontSize = 14;

    private static readonly string[] s_preferredFonts = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI", "Noto Sans"];

    /// <summary>Series colours (the Tableau/Category10 palette matplotlib users know).</summary>
    public static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"), Color.FromHex("#ff7f0e"),
        Color.FromHex("#9467bd"), Color.FromHex("#8c564b"), Color.FromHex("#e377c2"), Color.FromHex("#7f7f7f"),
        Color.FromHex("#bcbd22"), Color.FromHex("#17becf"),
    ];

    /// <summary>Marker shapes cycled with the palette so series stay distinguishable in grey print.</summary>
    public static readonly MarkerShape[] Markers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
        MarkerShape.FilledTriangleDown, MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp,
        MarkerShape.OpenDiamond, MarkerShape.Cross,
    ];

    private static string? s_fontName;

    /// <summary>
    /// The font family every chart uses: the first installed sans-serif of a short list, else ScottPlot's default when it
    /// is installed, else the first installed family by name.
    /// </summary>
    /// <exception cref="InvalidOperationException">No font is installed (text would be left out of the picture).</exception>
    public static string FontName => s_fontName ??= ChooseInstalledFont();

    /// <summary>Colour of a series by index (cycles).</summary>
    public static Color SeriesColor(int index) => Palette[index % Palette.Length];

    /// <summary>Marker of a series by index (cycles).</summary>
    public static MarkerShape SeriesMarker(int index) => Markers[index % Markers.Length];

    /// <summary>Creates a panel with the house style: sans font, readable sizes, light grid.</summary>
    public static Plot CreatePanel(string panelTitle, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(FontName);
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Grid.MajorLineColor = Color.FromHex("#e5e5e5");
        if (panelTitle.Length > 0)
        {
            plot.Title(panelTitle, PanelTitleFontSize);
        }

        plot.XLabel(xLabel, AxisLabelFontSize);
        plot.YLabel(yLabel, AxisLabelFontSize);
        plot.Axes.Bottom.TickLabelStyle.FontSize = TickFontSize;
        plot.Axes.Left.TickLabelStyle.FontSize = TickFontSize;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.6 };
        plot.Legend.FontSize = TickFontSize;
        plot.Legend.FontName = FontName;
        return plot;
    }

    /// <summary>
    /// Renders <paramref name="panels"/> in a grid of <paramref name="columns"/> columns under a title band
    /// and returns the PNG bytes.
    /// </summary>
    public static byte[] RenderPanels(string title, IReadOnlyList<Plot> panels, int columns, int panelWidth, int panelHeight)
    {
        int rows = (panels.Count + columns - 1) / columns;
        int band = title.Length > 0 ? TitleBandHeight : 0;
        int width = columns * panelWidth;
        int height = band + (rows * panelHeight);
        foreach (Plot panel in panels)
        {
            UseInvariantTickLabels(panel);
        }

        return Render(width, height, title, canvas =>
        {
            // ScottPlot clears the whole canvas it renders on, so each panel gets its own surface.
            var panelInfo = new SKImageInfo(panelWidth, panelHeight, SKColorType.Rgba8888, SKAlphaType.Premul);
            for (int i = 0; i < panels.Count; i++)
            {
                using SKSurface panelSurface = SKSurface.Create(panelInfo)
                    ?? throw new InvalidOperationException($"Could not create a {panelWidth}x{panelHeight} drawing surface.");
                panels[i].Render(panelSurface);
                using SKImage panelImage = panelSurface.Snapshot();
                canvas.DrawImage(panelImage, i % columns * panelWidth, band + (i / columns * panelHeight));
            }
        });
    }

    /// <summary>Creates a white canvas of the given size, draws the title band and the content, and encodes PNG.</summary>
    public static byte[] Render(int width, int height, string title, Action<SKCanvas> drawContent)
    {
        // Every public method checks its picture's size up front, naming the argument at fault; this only guards the rest.
        if (width > MaxCanvasSize || height > MaxCanvasSize)
        {
            throw new InvalidOperationException($"The picture would be {width}x{height} pixels, more than {MaxCanvasSize} on a side.");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using SKSurface surface = SKSurface.Create(info)
            ?? throw new InvalidOperationException($"Could not create a {width}x{height} drawing surface.");
        SKCanvas canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        drawContent(canvas);
        if (title.Length > 0)
        {
            DrawText(canvas, title, width / 2f, TitleBandHeight * 0.68f, TitleFontSize, bold: true, SKColors.Black, SKTextAlign.Center, maxWidth: width - 20);
        }

        canvas.Flush();
        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>
    /// Draws one line of text with its baseline at <paramref name="y"/>; shrinks the font when the text is wider than
    /// <paramref name="maxWidth"/>.
    /// </summary>
    public static void DrawText(SKCanvas canvas, string text, float x, float y, float size, bool bold, SKColor color, SKTextAlign align, float maxWidth)
    {
        // ScottPlot caches typefaces: do not dispose them.
        SKTypeface typeface = Fonts.GetTypeface(FontName, bold, italic: false) ?? SKTypeface.Default;
        using var font = new SKFont(typeface, size);
        font.Subpixel = true;
        font.Edging = SKFontEdging.Antialias;
        float measured = font.MeasureText(text);
        if (maxWidth > 0 && measured > maxWidth)
        {
            font.Size = Math.Max(8f, size * maxWidth / measured);
        }

        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, y, align, font, paint);
    }

    /// <summary>Width of <paramref name="text"/> in pixels at the given size.</summary>
    public static float MeasureText(string text, float size, bool bold)
    {
        SKTypeface typeface = Fonts.GetTypeface(FontName, bold, italic: false) ?? SKTypeface.Default;
        using var font = new SKFont(typeface, size);
        return font.MeasureText(text);
    }

    /// <summary>
    /// Gives every automatic numeric tick generator of <paramref name="plot"/>, the colour bars' axes included, the
    /// invariant-culture <see cref="TickLabel"/>: ScottPlot's own formatter follows the current culture ("0,25", "1.000").
    /// </summary>
    public static void UseInvariantTickLabels(Plot plot)
    {
        foreach (IAxis axis in plot.Axes.GetAxes())
        {
            UseInvariantTickLabels(axis);
        }

        foreach (IPanel panel in plot.Axes.GetPanels())
        {
            if (panel is ScottPlot.Panels.ColorBar colorBar)
            {
                UseInvariantTickLabels(colorBar.Axis);
            }
        }
    }

    /// <summary>
    /// A tick label as ScottPlot's <c>LabelFormatters.Numeric</c> writes it (whole or large numbers with thousands
    /// separators, others in general format rounded to 10 decimals), in the invariant culture.
    /// </summary>
    public static string TickLabel(double value)
    {
        if (Math.Round(value) == value || Math.Abs(value) > 1000)
        {
            return value.ToString("N0", CultureInfo.InvariantCulture);
        }

        string label = Math.Round(value, 10).ToString("G", CultureInfo.InvariantCulture);
        return label == "-0" ? "0" : label;
    }

    private static void UseInvariantTickLabels(IAxis axis)
    {
        if (axis.TickGenerator is ScottPlot.TickGenerators.NumericAutomatic automatic)
        {
            automatic.LabelFormatter = TickLabel;
        }
    }

    /// <summary>
    /// Formats a value for a label with <paramref name="format"/> when given; otherwise thousands separators from 1,000 up,
    /// up to four decimals below, three significant digits for tiny or huge values (invariant culture).
    /// </summary>
    public static string FormatValue(double value, string? format)
    {
        if (format is not null)
        {
            return value.ToString(format, CultureInfo.InvariantCulture);
        }

        double magnitude = Math.Abs(value);
        if (magnitude >= 1000 && magnitude < 1e15)
        {
            return value.ToString("N0", CultureInfo.InvariantCulture);
        }

        if (magnitude >= 1e15 || (magnitude > 0 && magnitude < 0.001))
        {
            return value.ToString("G3", CultureInfo.InvariantCulture);
        }

        return value.ToString("0.####", CultureInfo.InvariantCulture);
    }

    private const string NoFontMessage =
        "NeuralNet.Plotting found no font to draw text with, so no picture was written. SkiaSharp's Linux build "
        + "looks for fonts only under /usr/share/fonts/ and found none there. Install one, for example Debian's or "
        + "Ubuntu's fonts-dejavu-core package (apt-get install fonts-dejavu-core), or copy a .ttf file under "
        + "/usr/share/fonts/.";

    // With no font file SkiaSharp's font manager lists one family named "" whose typeface has no glyphs: everything
    // would render, every letter and digit left out.
    private static string ChooseInstalledFont()
    {
        string name = RequireFont(SKFontManager.Default.FontFamilies);
        using SKTypeface? typeface = SKTypeface.FromFamilyName(name);
        return typeface is { GlyphCount: > 0 } ? name : throw new InvalidOperationException(NoFontMessage);
    }

    /// <summary>The font <see cref="FontName"/> picks among <paramref name="installedFamilies"/> (blank names ignored).</summary>
    /// <exception cref="InvalidOperationException">There is no installed family; the message says what to install.</exception>
    internal static string RequireFont(IEnumerable<string> installedFamilies)
    {
        var installed = new HashSet<string>(installedFamilies.Where(f => !string.IsNullOrWhiteSpace(f)), StringComparer.OrdinalIgnoreCase);
        if (installed.Count == 0)
        {
            throw new InvalidOperationException(NoFontMessage);
        }

        foreach (string name in s_preferredFonts)
        {
            if (installed.Contains(name))
            {
                return name;
            }
        }

        return installed.Contains(Fonts.Default) ? Fonts.Default : installed.Order(StringComparer.Ordinal).First();
    }
}
