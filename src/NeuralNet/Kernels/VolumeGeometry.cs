namespace NeuralNet.Kernels;

/// <summary>
/// The sizes of a 3-D window (convolution or pooling) over channels-last volumes: a sample is (Depth.Input, Height.Input,
/// Width.Input, Channels), an output sample (Depth.Output, Height.Output, Width.Output, ...).
/// </summary>
internal readonly record struct VolumeGeometry(WindowAxis Depth, WindowAxis Height, WindowAxis Width, int Channels) : IPatchGeometry
{
    /// <summary>Elements of one input sample.</summary>
    public int InputSize => Depth.Input * Height.Input * Width.Input * Channels;

    /// <summary>Output positions of one sample.</summary>
    public int OutputPositions => Depth.Output * Height.Output * Width.Output;

    /// <summary>The index, in one input sample, of channel 0 at input position (d, h, w).</summary>
    public int Offset(int d, int h, int w) => ((((d * Height.Input) + h) * Width.Input) + w) * Channels;

    /// <summary>Taps of one window: Depth.Kernel * Height.Kernel * Width.Kernel.</summary>
    public int Taps => Depth.Kernel * Height.Kernel * Width.Kernel;

    void IPatchGeometry.Pack(ReadOnlySpan<float> sample, Span<float> cols) => VolumeIm2Col.Pack(sample, this, cols);

    void IPatchGeometry.PackRows(ReadOnlySpan<float> batch, int firstRow, int rows, Span<float> cols) => VolumeIm2Col.PackRows(batch, this, firstRow, rows, cols);

    void IPatchGeometry.AddUnpack(ReadOnlySpan<float> cols, Span<float> sample) => VolumeIm2Col.AddUnpack(cols, this, sample);

    /// <summary>Resolves the three axes (see <see cref="WindowAxis.TryCreate"/>); false when no valid window fits along one.</summary>
    public static bool TryCreate(int depth, int height, int width, int channels, (int Depth, int Height, int Width) kernel,
        (int Depth, int Height, int Width) strides, (int Depth, int Height, int Width) dilation, bool same, out VolumeGeometry geometry)
    {
        bool fits = WindowAxis.TryCreate(depth, kernel.Depth, strides.Depth, dilation.Depth, same, out WindowAxis d)
            & WindowAxis.TryCreate(height, kernel.Height, strides.Height, dilation.Height, same, out WindowAxis h)
            & WindowAxis.TryCreate(width, kernel.Width, strides.Width, dilation.Width, same, out WindowAxis w);
        geometry = new VolumeGeometry(d, h, w, channels);
        return fits;
    }
}
