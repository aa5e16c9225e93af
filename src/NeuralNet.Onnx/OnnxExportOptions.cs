namespace NeuralNet.Onnx;

/// <summary>How <see cref="OnnxExporter"/> writes a model: the opset, the model's version and description, and the name of the batch dimension.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>
    /// The version of ONNX's default operator set the file uses, from <see cref="OnnxExporter.MinimumOpset"/> to
    /// <see cref="OnnxExporter.MaximumOpset"/>; <see cref="OnnxExporter.DefaultOpset"/> (17) unless set. Opset 17 is loaded by
    /// every ONNX Runtime since 1.12 and by ONNX's own checker in Debian's python3-onnx; opsets 20 and later write GELU as one
    /// <c>Gelu</c> node instead of its formula.
    /// </summary>
    public int Opset { get; init; } = OnnxExporter.DefaultOpset;

    /// <summary>The model's version, written as the file's <c>model_version</c> (ONNX Runtime's <c>ModelMetadata.Version</c>); 1 unless set.</summary>
    public long ModelVersion { get; init; } = 1;

    /// <summary>A description written as the file's <c>doc_string</c>; when null, one naming the model and NeuralNet.</summary>
    public string? Description { get; init; }

    /// <summary>The symbolic name of the batch dimension of every input and output (ONNX's <c>dim_param</c>); "batch" unless set.</summary>
    public string BatchDimensionName { get; init; } = "batch";
}
