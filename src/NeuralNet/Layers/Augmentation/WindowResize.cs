using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// Resizes a window of a channels-last image to a target size (Keras' crop then <c>ops.image.resize</c>, no
/// antialiasing), and back-propagates through it: the shared step of <see cref="Resizing"/>, <see cref="CenterCrop"/>
/// and <see cref="RandomCrop"/>. The axis tables are made once, at the first image (not when the layer is built, so a
/// file naming a huge target size allocates nothing while it loads).
/// </summary>
/// <remarks>
/// Bilinear uses <see cref="Resampling.BilinearAxis"/> (half-pixel centers, clamped at the edges); nearest copies the
/// pixel at source index floor((o + 0.5) · in / out) on each axis, as tf.image.resize and jax.image.resize do (so ±∞
/// and NaN pass through unchanged). Bicubic, Lanczos, area and antialiased bilinear apply the per-axis weight tables of
/// <see cref="ResizeTables"/> with <see cref="SeparableResize"/>. A window as large as the target is copied.
/// </remarks>
internal sealed class WindowResize
{
    private readonly int _imageWidth, _channels, _top, _left, _outHeight, _outWidth;
    private readonly bool _copy;
    private readonly (int Top, int Left, int Height, int Width) _window;
    private readonly Interpolation _interpolation;
    private readonly bool _antialias;

    // Made by the first call (each copy of a layer for a concurrent prediction is built with its own WindowResize).
    private Tables? _tables;
    private KernelTables? _kernel;

    /// <summary>
    /// Prepares the resize of window (top, left, height, width) of (·, imageWidth, channels) images to (outHeight, outWidth);
    /// <paramref name="antialias"/> widens the bicubic, Lanczos and bilinear kernels when shrinking (tf.image.resize's antialias).
    /// </summary>
    public WindowResize(int imageWidth, int channels, (int Top, int Left, int Height, int Width) window, int outHeight, int outWidth, Interpolation interpolation,
        bool antialias = false)
    {
        (_imageWidth, _channels, _top, _left, _outHeight, _outWidth) = (imageWidth, channels, window.Top, window.Left, outHeight, outWidth);
        _copy = window.Height == outHeight && window.Width == outWidth;
        (_window, _interpolation, _antialias) = (window, interpolation, antialias);
    }

    private bool UsesTables => ResizeTables.UsesTables(_interpolation, _antialias);

    /// <summary>
    /// Keras' window for a target aspect ratio (<c>smart_resize</c>, <c>crop_to_aspect_ratio</c>): the largest centered
    /// window of the image with the target's aspect ratio, in whole pixels.
    /// </summary>
    public static (int Top, int Left, int Height, int Width) AspectWindow(int height, int width, int targetHeight, int targetWidth)
    {
        int cropHeight = Math.Max(Math.Min(height, (int)((double)width * targetHeight / targetWidth)), 1);
        int cropWidth = Math.Max(Math.Min(width, (int)((double)height * targetWidth / targetHeight)), 1);
        return ((height - cropHeight) / 2, (width - cropWidth) / 2, cropHeight, cropWidth);
    }

    /// <summary>y (outHeight, outWidth, C) = the resized window of one image x (·, imageWidth, C); overwrites.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_copy)
        {
            Resampling.CopyWindow(x, _imageWidth, _top, _left, y, _outWidth, 0, 0, _outHeight, _outWidth, _channels);
            return;
        }

        if (UsesTables)
        {
            KernelTables k = GetKernelTables();
            SeparableResize.Forward(x, _imageWidth, _channels, _left, _window.Width, k.Rows, k.Columns, k.Scratch, y);
            return;
        }

        Tables t = GetTables();
        if (_interpolation == Interpolation.Nearest)
        {
            Resampling.GatherForward(x, _imageWidth, _channels, t.RowLow, t.ColLow, y);
            return;
        }

        Resampling.BilinearForward(x, _imageWidth, _channels, t.RowLow, t.RowHigh, t.RowWeight, t.ColLow, t.ColHigh, t.ColWeight, y);
    }

    /// <summary>dx (imageHeight, imageWidth, C) = the adjoint of <see cref="Forward"/> applied to dy; overwrites.</summary>
    public void Backward(ReadOnlySpan<float> dy, int imageHeight, Span<float> dx)
    {
        if (_copy)
        {
            dx[..(imageHeight * _imageWidth * _channels)].Clear();
            Resampling.CopyWindow(dy, _outWidth, 0, 0, dx, _imageWidth, _top, _left, _outHeight, _outWidth, _channels);
            return;
        }

        if (UsesTables)
        {
            KernelTables k = GetKernelTables();
            SeparableResize.Backward(dy, imageHeight, _imageWidth, _channels, _left, _window.Width, k.Rows, k.Columns, k.Scratch, dx);
            return;
        }

        Tables t = GetTables();
        if (_interpolation == Interpolation.Nearest)
        {
            Resampling.GatherBackward(dy, imageHeight, _imageWidth, _channels, t.RowLow, t.ColLow, dx);
            return;
        }

        Resampling.BilinearBackward(dy, imageHeight, _imageWidth, _channels, t.RowLow, t.RowHigh, t.RowWeight, t.ColLow, t.ColHigh, t.ColWeight, dx);
    }

    private Tables GetTables() => _tables ??= MakeTables();

    // The weight tables and the rows-resized scratch image (outHeight, window width, C), made at the first image.
    private KernelTables GetKernelTables() => _kernel ??= new KernelTables(
        ResizeTables.Build(_interpolation, _antialias, _window.Height, _outHeight, _window.Top),
        ResizeTables.Build(_interpolation, _antialias, _window.Width, _outWidth, _window.Left),
        new float[_outHeight * _window.Width * _channels]);

    private Tables MakeTables()
    {
        var (rowLow, rowHigh, rowWeight) = Axis(_window.Height, _outHeight, _window.Top, _interpolation);
        var (colLow, colHigh, colWeight) = Axis(_window.Width, _outWidth, _window.Left, _interpolation);
        return new Tables(rowLow, rowHigh, rowWeight, colLow, colHigh, colWeight);
    }

    // Source rows (or columns) of each output index, shifted to the window; nearest uses Low only (a copy, not a blend
    // with weight 0: 0 · ∞ would be NaN).
    private static (int[] Low, int[] High, float[] Weight) Axis(int input, int output, int offset, Interpolation interpolation)
    {
        var (low, high, weight) = (new int[output], new int[output], new float[output]);
        if (interpolation == Interpolation.Bilinear)
        {
            Resampling.BilinearAxis(input, output, low, high, weight);
        }
        else
        {
            for (int o = 0; o < output; o++)
            {
                low[o] = high[o] = Math.Min((int)Math.Floor((o + 0.5) * input / output), input - 1);
            }
        }

        for (int o = 0; o < output; o++)
        {
            low[o] += offset;
            high[o] += offset;
        }

        return (low, high, weight);
    }

    private sealed record KernelTables(ResizeTable Rows, ResizeTable Columns, float[] Scratch);

    private sealed record Tables(int[] RowLow, int[] RowHigh, float[] RowWeight, int[] ColLow, int[] ColHigh, float[] ColWeight);
}
