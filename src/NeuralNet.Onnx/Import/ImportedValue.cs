namespace NeuralNet.Onnx.Import;

/// <summary>
/// A value of the graph being imported: a constant, or a tensor a NeuralNet layer computes. <see cref="Dims"/> are ONNX's
/// (batch first, as −1); a computed value of rank 4 is normally ONNX's (N, C, H, W) held channels last, (N, H, W, C), by
/// NeuralNet (<see cref="IsImage"/>), unless a Transpose made it channels last in ONNX already (a file NeuralNet exported).
/// </summary>
internal sealed class ImportedValue
{
    private ImportedValue(string name, long[] dims, OnnxConstant? constant, bool image)
    {
        Name = name;
        Dims = dims;
        Folded = constant;
        IsImage = image;
    }

    public string Name { get; }

    public long[] Dims { get; }

    /// <summary>The value of a constant; null for a computed tensor and for a value that depends on the batch length.</summary>
    public OnnxConstant? Constant => Folded is { DependsOnBatch: false } ? Folded : null;

    /// <summary>The value known at import, batch-length elements included (a folded Shape); null for a computed tensor.</summary>
    public OnnxConstant? Folded { get; }

    public int Rank => Dims.Length;

    /// <summary>Whether this is ONNX's (N, C, H, W) tensor held channels last by NeuralNet; otherwise NeuralNet holds ONNX's layout.</summary>
    public bool IsImage { get; }

    /// <summary>
    /// For features flattened from a channels-last image without a Permute (read only by Gemm or MatMul): the ONNX
    /// (C, H, W) feature index of each NeuralNet (H, W, C) feature, by which those nodes reorder their kernel rows; null otherwise.
    /// </summary>
    public int[]? RowOrder { get; set; }

    /// <summary>
    /// For the output of a Squeeze or Unsqueeze: the value it reshapes (the same elements in ONNX's order), so that a
    /// Squeeze after an Unsqueeze reshapes that value once, or not at all where they cancel; null otherwise.
    /// </summary>
    public ImportedValue? ReshapeOf { get; set; }

    /// <summary>
    /// For gather indices (a Cast of a computed float tensor to integers, perhaps Mod a length): the float tensor, which
    /// a TakeAlongAxis reads as its indices; no layer computes this value itself. Null otherwise.
    /// </summary>
    public ImportedValue? IntegersOf { get; private set; }

    /// <summary>For gather indices taken Mod a length: that length; null otherwise.</summary>
    public long? Modulo { get; private set; }

    /// <summary>The MatMul whose output this is, while an Add may still give it a bias.</summary>
    public DensePlan? Dense { get; set; }

    /// <summary>The per-sample shape NeuralNet gives this tensor: (H, W, C) for an image, ONNX's otherwise.</summary>
    public int[] SampleShape => IsImage ? [(int)Dims[2], (int)Dims[3], (int)Dims[1]] : [.. Dims.Skip(1).Select(d => (int)d)];

    /// <summary>A computed tensor; <paramref name="image"/> defaults to whether it has rank 4.</summary>
    public static ImportedValue Computed(string name, long[] dims, bool? image = null) => new(name, dims, null, image ?? dims.Length == 4);

    /// <summary>Marks this value as the integers of the float tensor <paramref name="source"/> (<see cref="IntegersOf"/>), taken Mod <paramref name="modulo"/> if given.</summary>
    public ImportedValue Indexing(ImportedValue source, long? modulo)
    {
        IntegersOf = source;
        Modulo = modulo;
        return this;
    }

    public static ImportedValue FromConstant(string name, OnnxConstant constant) => new(name, constant.Dims, constant, image: false);
}
