namespace NeuralNet.Kernels;

/// <summary>
/// A convolution's geometry seen through its im2col: what <see cref="Layers.TransposedConvolutionPass{TGeometry}"/> needs to run
/// the same passes over images (<see cref="DilatedConvGeometry"/>) and volumes (<see cref="VolumeGeometry"/>).
/// Implemented by structs, so the generic pass is compiled per geometry and calls these without boxing.
/// </summary>
internal interface IPatchGeometry
{
    /// <summary>The channels of the convolution's input sample (all of them take part in each patch).</summary>
    int Channels { get; }

    /// <summary>Elements of one input sample of the convolution.</summary>
    int InputSize { get; }

    /// <summary>Output positions of one sample: the rows of its patch matrix.</summary>
    int OutputPositions { get; }

    /// <summary>Kernel taps: a patch row holds Taps · Channels values.</summary>
    int Taps { get; }

    /// <summary>cols = im2col(sample); overwrites every element of cols.</summary>
    void Pack(ReadOnlySpan<float> sample, Span<float> cols);

    /// <summary>
    /// Rows [firstRow, firstRow + rows) of the batch's patch matrix (samples * OutputPositions, Taps * Channels): the values
    /// <see cref="Pack"/> writes sample by sample, for a range that may start and end inside a sample.
    /// </summary>
    void PackRows(ReadOnlySpan<float> batch, int firstRow, int rows, Span<float> cols);

    /// <summary>sample += col2im(cols).</summary>
    void AddUnpack(ReadOnlySpan<float> cols, Span<float> sample);
}
