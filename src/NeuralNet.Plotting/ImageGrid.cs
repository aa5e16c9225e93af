using SkiaSharp;

namespace NeuralNet.Plotting;

/// <summary>
/// A grid of greyscale images (MNIST digits) with their labels and predictions written under each one; wrong predictions
/// are written in red.
/// </summary>
public static class ImageGrid
{
    /// <summary>The most images one grid draws; slice the tensor first (<see cref="Tensor.Slice"/>) to show a few.</summary>
    public const int MaxImages = 1024;

    private const float CaptionFontSize = 17;
    private const int LineHeight = 22;
    private const int Padding = 10;
    private const int TargetImageSize = 112;
    private const float PixelTolerance = 1e-3f;
    private static readonly SKColor s_correctColor = new(0x20, 0x20, 0x20);
    private static readonly SKColor s_wrongColor = new(0xd6, 0x27, 0x28);

    /// <summary>
    /// Saves the images as a grid PNG, <paramref name="columns"/> per row, each captioned "true 7 / pred 7" (or "true 7"
    /// when <paramref name="predictedLabels"/> is null); captions of wrong predictions are red. Pixel value 0 is black and
    /// 1 is white, as matplotlib's "gray" colour map shows MNIST.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="images">
    /// N images shaped (N, H*W) with a square H*W such as 784, (N, H, W), or (N, H, W, 1); pixel values in [0, 1].
    /// </param>
    /// <param name="trueLabels">The N true class indices (&gt;= 0).</param>
    /// <param name="predictedLabels">The N predicted class indices, or null to show only the true labels.</param>
    /// <param name="columns">Images per row (&gt;= 1), e.g. 5 for the 2x5 grid of 10 images.</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/>, <paramref name="images"/>, <paramref name="trueLabels"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="columns"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">
    /// The path does not end with ".png"; the tensor has an unsupported shape, no images or more than <see cref="MaxImages"/>;
    /// a pixel is outside [0, 1] or NaN; a label list does not have one label per image, or a label is negative; the grid
    /// would be more than 16,384 pixels wide or high.
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, Tensor images, IReadOnlyList<int> trueLabels, IReadOnlyList<int>? predictedLabels, int columns, string title)
    {
        PngFile.ValidatePath(path);
        (int count, int height, int width) = ValidateImages(images);
        ValidateLabels(trueLabels, count, nameof(trueLabels));
        if (predictedLabels is not null)
        {
            ValidateLabels(predictedLabels, count, nameof(predictedLabels));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Check.Title(title);

        var captions = new List<(string Text, bool Wrong)>[count];
        for (int i = 0; i < count; i++)
        {
            string truth = trueLabels[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            captions[i] = predictedLabels is null
                ? [($"true {truth}", false)]
                : [($"true {truth} / pred {predictedLabels[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}", predictedLabels[i] != trueLabels[i])];
        }

        Render(path, images, count, height, width, captions, columns, title);
    }

    /// <summary>
    /// Saves the images as a grid PNG with no captions, <paramref name="columns"/> per row: generated or reconstructed
    /// images, which have no labels (matplotlib's <c>imshow</c> grid of a GAN's or a diffusion model's samples). Pixel value
    /// 0 is black and 1 is white.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="images">N images shaped (N, H*W) with a square H*W, (N, H, W), or (N, H, W, 1); pixel values in [0, 1].</param>
    /// <param name="columns">Images per row (&gt;= 1).</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/>, <paramref name="images"/> or <paramref name="title"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="columns"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">As for the captioned <see cref="Save(string, Tensor, IReadOnlyList{int}, IReadOnlyList{int}?, int, string)"/>, without the label checks.</exception>
    /// <exception cref="InvalidOperationException">No font is installed; nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void Save(string path, Tensor images, int columns, string title)
    {
        PngFile.ValidatePath(path);
        (int count, int height, int width) = ValidateImages(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Check.Title(title);

        var captions = new List<(string Text, bool Wrong)>[count];
        for (int i = 0; i < count; i++)
        {
            captions[i] = [];
        }

        Render(path, images, count, height, width, captions, columns, title);
    }

    /// <summary>
    /// Saves the images as a grid PNG captioned with the true label and one line per model ("Keras: 7"), each model's line
    /// red where its prediction is wrong, e.g. to compare a from-scratch network, scikit-learn and Keras on the same
    /// test images.
    /// </summary>
    /// <param name="path">The .png file to write; its folder is created if needed and the file is replaced atomically.</param>
    /// <param name="images">N images shaped (N, H*W) with a square H*W, (N, H, W), or (N, H, W, 1); pixel values in [0, 1].</param>
    /// <param name="trueLabels">The N true class indices (&gt;= 0).</param>
    /// <param name="predictionsByModel">For each model name (in dictionary order), its N predicted class indices.</param>
    /// <param name="columns">Images per row (&gt;= 1).</param>
    /// <param name="title">Figure title; an empty string draws none.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="columns"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">
    /// As for <see cref="Save(string, Tensor, IReadOnlyList{int}, IReadOnlyList{int}?, int, string)"/>; also when there are no models, a model name is blank or its predictions are null.
    /// </exception>
    /// <exception cref="InvalidOperationException">No font is installed (on Linux: none under /usr/share/fonts); nothing is written.</exception>
    /// <exception cref="IOException">The file could not be written.</exception>
    public static void SaveComparison(string path, Tensor images, IReadOnlyList<int> trueLabels, IReadOnlyDictionary<string, IReadOnlyList<int>> predictionsByModel, int columns, string title)
    {
        PngFile.ValidatePath(path);
        (int count, int height, int width) = ValidateImages(images);
        ValidateLabels(trueLabels, count, nameof(trueLabels));
        ArgumentNullException.ThrowIfNull(predictionsByModel);
        if (predictionsByModel.Count == 0)
        {
            throw new ArgumentException("No models given; expected at least one model's predictions.", nameof(predictionsByModel));
        }

        foreach (KeyValuePair<string, IReadOnlyList<int>> pair in predictionsByModel)
        {
            if (string.IsNullOrWhiteSpace(pair.Key))
            {
                throw new ArgumentException("A model has a blank name.", nameof(predictionsByModel));
            }

            if (pair.Value is null)
            {
                throw new ArgumentException($"The predictions of model '{pair.Key}' are null.", nameof(predictionsByModel));
            }

            ValidateLabels(pair.Value, count, nameof(predictionsByModel), $"predictions of model '{pair.Key}'");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Check.Title(title);

        var captions = new List<(string Text, bool Wrong)>[count];
        for (int i = 0; i < count; i++)
        {
            captions[i] = [($"true {trueLabels[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}", false)];
            foreach (KeyValuePair<string, IReadOnlyList<int>> pair in predictionsByModel)
            {
                int predicted = pair.Value[i];
                captions[i].Add(($"{pair.Key}: {predicted.ToString(System.Globalization.CultureInfo.InvariantCulture)}", predicted != trueLabels[i]));
            }
        }

        Render(path, images, count, height, width, captions, columns, title);
    }

    /// <summary>Checks the tensor's shape and pixel range; returns the image count and the height and width of one image.</summary>
    internal static (int Count, int Height, int Width) ValidateImages(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        TensorShape shape = images.Shape;
        int height;
        int width;
        switch (shape.Rank)
        {
            case 2:
                int side = (int)Math.Round(Math.Sqrt(shape[1]));
                if (side * side != shape[1] || side == 0)
                {
                    throw new ArgumentException($"ImageGrid expects flattened square images such as (N, 784) but got {shape}: {shape[1]} is not a square number of pixels.", nameof(images));
                }

                height = side;
                width = side;
                break;
            case 3:
                height = shape[1];
                width = shape[2];
                break;
            case 4 when shape[3] == 1:
                height = shape[1];
                width = shape[2];
                break;
            default:
                throw new ArgumentException($"ImageGrid expects greyscale images shaped (N, 784), (N, 28, 28) or (N, 28, 28, 1) but got {shape}.", nameof(images));
        }

        int count = shape[0];
        if (count == 0 || height == 0 || width == 0)
        {
            throw new ArgumentException($"ImageGrid got no pixels to draw: images shaped {shape}.", nameof(images));
        }

        if (count > MaxImages)
        {
            throw new ArgumentException($"ImageGrid draws at most {MaxImages} images but got {count} (shape {shape}); pass a slice such as images.Slice(0, 10).", nameof(images));
        }

        ReadOnlySpan<float> pixels = images.AsReadOnlySpan();
        for (int i = 0; i < pixels.Length; i++)
        {
            float v = pixels[i];
            if (!(v >= -PixelTolerance && v <= 1 + PixelTolerance))
            {
                int pixelsPerImage = height * width;
                throw new ArgumentException($"ImageGrid expects pixel values in [0, 1] but image {i / pixelsPerImage} has {v} at pixel {i % pixelsPerImage}; scale 0..255 data by 1/255 first.", nameof(images));
            }
        }

        return (count, height, width);
    }

    private static void ValidateLabels(IReadOnlyList<int> labels, int count, string parameterName, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(labels, parameterName);
        what ??= parameterName;
        if (labels.Count != count)
        {
            throw new ArgumentException($"Got {labels.Count} {what} for {count} images; expected one per image.", parameterName);
        }

        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"The {what} hold a negative class index {labels[i]} at index {i}; expected class indices >= 0.", parameterName);
            }
        }
    }

    private static void Render(string path, Tensor images, int count, int height, int width, List<(string Text, bool Wrong)>[] captions, int columns, string title)
    {
        columns = Math.Min(columns, count);
        int rows = (count + columns - 1) / columns;
        int scale = Math.Max(1, (int)Math.Round(TargetImageSize / (double)Math.Max(height, width)));
        int imageWidth = width * scale;
        int imageHeight = height * scale;
        int lines = captions.Max(c => c.Count);
        float widestCaption = captions.SelectMany(c => c).Select(c => Figure.MeasureText(c.Text, CaptionFontSize, bold: false)).DefaultIfEmpty(0).Max();
        int cellWidth = (int)Math.Ceiling(Math.Max(imageWidth, widestCaption)) + (2 * Padding);
        int cellHeight = imageHeight + 8 + (lines * LineHeight) + Padding;
        int band = title.Length > 0 ? Figure.TitleBandHeight : Padding;
        int canvasWidth = Math.Max((columns * cellWidth) + (2 * Padding), title.Length > 0 ? 360 : 0);
        int canvasHeight = band + (rows * cellHeight) + Padding;
        int left = (canvasWidth - (columns * cellWidth)) / 2;
        if (canvasWidth > Figure.MaxCanvasSize || canvasHeight > Figure.MaxCanvasSize)
        {
            throw new ArgumentException($"A grid of {count} images in {columns} columns would be {canvasWidth}x{canvasHeight} pixels, more than {Figure.MaxCanvasSize} on a side; use fewer columns or fewer images.", nameof(columns));
        }

        int pixelsPerImage = height * width;
        byte[] grey = new byte[pixelsPerImage];
        byte[] png = Figure.Render(canvasWidth, canvasHeight, title, canvas =>
        {
            using var framePaint = new SKPaint { Color = new SKColor(0xb0, 0xb0, 0xb0), IsStroke = true, StrokeWidth = 1 };
            var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
            var sampling = new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None);
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> image = images.AsReadOnlySpan().Slice(i * pixelsPerImage, pixelsPerImage);
                for (int p = 0; p < image.Length; p++)
                {
                    grey[p] = (byte)Math.Round(Math.Clamp(image[p], 0f, 1f) * 255f);
                }

                float cellLeft = left + (i % columns * cellWidth);
                float cellTop = band + (i / columns * cellHeight);
                float imageLeft = cellLeft + ((cellWidth - imageWidth) / 2f);
                var destination = SKRect.Create(imageLeft, cellTop, imageWidth, imageHeight);
                using (SKImage bitmap = SKImage.FromPixelCopy(info, grey))
                {
                    canvas.DrawImage(bitmap, destination, sampling);
                }

                canvas.DrawRect(destination, framePaint);
                float baseline = cellTop + imageHeight + 4 + LineHeight - 5;
                foreach ((string text, bool wrong) in captions[i])
                {
                    Figure.DrawText(canvas, text, cellLeft + (cellWidth / 2f), baseline, CaptionFontSize, bold: wrong, wrong ? s_wrongColor : s_correctColor, SKTextAlign.Center, maxWidth: cellWidth - 4);
                    baseline += LineHeight;
                }
            }
        });
        PngFile.WriteAtomically(path, png);
    }
}
