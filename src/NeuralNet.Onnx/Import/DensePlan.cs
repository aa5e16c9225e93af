namespace NeuralNet.Onnx.Import;

/// <summary>
/// A Dense layer planned from a MatMul or a Gemm: its kernel (inputs × units, Keras' layout) and its bias, which an Add of
/// a constant right after a MatMul fills in (PyTorch writes Linear on 3-D inputs as MatMul then Add).
/// </summary>
internal sealed class DensePlan(float[] kernel, int units)
{
    public float[] Kernel { get; } = kernel;

    public int Units { get; } = units;

    public float[]? Bias { get; set; }
}
