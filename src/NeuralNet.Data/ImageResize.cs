namespace NeuralNet.Data;

/// <summary>
/// Resizes 8-bit channels-last pixels to float pixels with TensorFlow's <c>tf.image.resize</c> arithmetic (half-pixel
/// centres, no antialiasing, float32), which Keras' image loading uses, so values match Keras up to float rounding.
/// </summary>
internal static class ImageResize
{
    /// <summary>
    /// Resizes the window (<paramref name="top"/>, <paramref name="left"/>, <paramref name="windowHeight"/>,
    /// <paramref name="windowWidth"/>) of <paramref name="source"/> (sourceHeight, sourceWidth, channels) into
    /// <paramref name="destination"/> (height, width, channels).
    /// </summary>
    public static void Resize(ReadOnlySpan<byte> source, int sourceWidth, int channels, int top, int left, int windowHeight, int windowWidth,
        Span<float> destination, int height, int width, ImageInterpolation interpolation)
    {
        if (destination.Length != height * width * channels || top < 0 || left < 0 || windowHeight < 1 || windowWidth < 1)
        {
            throw new ArgumentException("Resize: inconsistent sizes.", nameof(destination));
        }

        if (interpolation == ImageInterpolation.Nearest)
        {
            Nearest(source, sourceWidth, channels, top, left, windowHeight, windowWidth, destination, height, width);
        }
        else
        {
            Bilinear(source, sourceWidth, channels, top, left, windowHeight, windowWidth, destination, height, width);
        }
    }

    /// <summary>TensorFlow's bilinear weights for one axis: the lower and upper source indices and the weight of the upper.</summary>
    internal static (int Lower, int Upper, float Lerp) BilinearWeight(int index, int inSize, int outSize)
    {
        float scale = inSize / (float)outSize;
        float position = ((index + 0.5f) * scale) - 0.5f;
        float floor = MathF.Floor(position);
        int lower = Math.Max((int)floor, 0);
        int upper = Math.Min((int)MathF.Ceiling(position), inSize - 1);
        return (lower, upper, position - floor);
    }

    private static void Bilinear(ReadOnlySpan<byte> source, int sourceWidth, int channels, int top, int left, int windowHeight, int windowWidth,
        Span<float> destination, int height, int width)
    {
        var columns = new (int Lower, int Upper, float Lerp)[width];
        for (int x = 0; x < width; x++)
        {
            columns[x] = BilinearWeight(x, windowWidth, width);
        }

        int rowStride = sourceWidth * channels;
        for (int y = 0; y < height; y++)
        {
            (int y0, int y1, float yLerp) = BilinearWeight(y, windowHeight, height);
            ReadOnlySpan<byte> topRow = source.Slice((top + y0) * rowStride, rowStride);
            ReadOnlySpan<byte> bottomRow = source.Slice((top + y1) * rowStride, rowStride);
            for (int x = 0; x < width; x++)
            {
                (int x0, int x1, float xLerp) = columns[x];
                int a = (left + x0) * channels;
                int b = (left + x1) * channels;
                int d = ((y * width) + x) * channels;
                for (int c = 0; c < channels; c++)
                {
                    float topLeft = topRow[a + c];
                    float topRight = topRow[b + c];
                    float bottomLeft = bottomRow[a + c];
                    float bottomRight = bottomRow[b + c];
                    float topValue = topLeft + ((topRight - topLeft) * xLerp);
                    float bottomValue = bottomLeft + ((bottomRight - bottomLeft) * xLerp);
                    destination[d + c] = topValue + ((bottomValue - topValue) * yLerp);
                }
            }
        }
    }

    private static void Nearest(ReadOnlySpan<byte> source, int sourceWidth, int channels, int top, int left, int windowHeight, int windowWidth,
        Span<float> destination, int height, int width)
    {
        float yScale = windowHeight / (float)height;
        float xScale = windowWidth / (float)width;
        for (int y = 0; y < height; y++)
        {
            int sy = top + Math.Min((int)MathF.Floor((y + 0.5f) * yScale), windowHeight - 1);
            for (int x = 0; x < width; x++)
            {
                int sx = left + Math.Min((int)MathF.Floor((x + 0.5f) * xScale), windowWidth - 1);
                int s = ((sy * sourceWidth) + sx) * channels;
                int d = ((y * width) + x) * channels;
                for (int c = 0; c < channels; c++)
                {
                    destination[d + c] = source[s + c];
                }
            }
        }
    }

    /// <summary>
    /// The largest centred window of the target's aspect ratio, as Keras' <c>smart_resize</c> computes it (float32
    /// divisions truncated to integers).
    /// </summary>
    public static (int Top, int Left, int Height, int Width) CropWindow(int height, int width, int targetHeight, int targetWidth)
    {
        int cropHeight = Math.Max(Math.Min(height, (int)((float)((long)width * targetHeight) / targetWidth)), 1);
        int cropWidth = Math.Max(Math.Min(width, (int)((float)((long)height * targetWidth) / targetHeight)), 1);
        return ((int)((float)(height - cropHeight) / 2), (int)((float)(width - cropWidth) / 2), cropHeight, cropWidth);
    }
}
