using System.Numerics.Tensors;
using NeuralNet.Kernels;
using NeuralNet.Models;

namespace NeuralNet.Layers;

// Keras' `embedding(hidden, reverse=True)`: the projection from hidden states back to the vocabulary's logits. In a
// graph the call is a node marked Reverse, which the model runs on a copy of the layer built for the hidden states'
// shape (Layer.CopyForCall), sharing the layer's parameters.
public sealed partial class ReversibleEmbedding
{
    private Tensor? _logitGradient;

    /// <summary>
    /// Calls the layer in reverse on symbolic hidden states (Keras' <c>embedding(hidden, reverse=True)</c>): the output is
    /// (None, ..., <see cref="InputDim"/>) logits, hidden · embeddingsᵀ (or hidden · <see cref="ReverseEmbeddings"/>), capped
    /// when <see cref="LogitSoftCap"/> is set. The call shares the layer's weights with its lookup calls.
    /// </summary>
    /// <param name="hidden">The symbolic hidden states, (None, ..., <see cref="OutputDim"/>).</param>
    /// <returns>The symbolic logits.</returns>
    /// <exception cref="ArgumentException">The last axis of <paramref name="hidden"/> is not <see cref="OutputDim"/> long.</exception>
    /// <remarks>Called in reverse before any lookup (a head that reuses embeddings loaded or trained elsewhere), the layer is
    /// built for ids shaped like the hidden states without their last axis.</remarks>
    public SymbolicTensor CallReverse(SymbolicTensor hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (_reverse)
        {
            throw new InvalidOperationException($"{Describe()} is a copy running one call of its layer; call CallReverse on the layer itself.");
        }

        TensorShape shape = hidden.Shape;
        if (shape.Rank < 1 || shape[-1] != OutputDim)
        {
            throw new ArgumentException($"{Describe()} projects vectors of {OutputDim} back to {InputDim} logits, so its reverse call expects (None, ..., {OutputDim}) but got {shape.ToBatchString()}.", nameof(hidden));
        }

        if (!IsBuilt)
        {
            // A head that reuses embeddings trained elsewhere calls the layer in reverse only; as in Keras, the weights
            // do not depend on the input shape, so the lookup is built for ids shaped like the hidden states' positions.
            Build(IdsShapeFor(shape));
        }

        Node node = AddNode([hidden]);
        node.Reverse = true;
        // A variable axis of the hidden states (Input([null])) stays variable in the logits.
        return new SymbolicTensor(new TensorShape([.. shape.Dimensions[..^1], InputDim]), node,
            probeShape: new TensorShape([.. hidden.ProbeShape.Dimensions[..^1], InputDim]));
    }

    /// <summary>The ids shape whose lookup gives hidden states of <paramref name="hiddenShape"/>: its positions without the vectors.</summary>
    internal static TensorShape IdsShapeFor(TensorShape hiddenShape) => new([.. hiddenShape.Dimensions[..^1]]);

    /// <inheritdoc/>
    private protected override void RunReverse() => _reverse = true;

    // hidden (R, d) -> logits (R, V) = hidden · Eᵀ (E (V, d), tied) or hidden · W (W (d, V)); then c · tanh(logits / c).
    private Tensor ForwardReverse(Tensor hidden)
    {
        int d = OutputDim, v = InputDim, rows = hidden.Length / d;
        Tensor output = BatchView(ref _output, hidden.Shape[0], OutputShape);
        Span<float> y = output.AsSpan();
        if (TieWeights)
        {
            Gemm.Multiply(false, true, rows, v, d, 1f, hidden.AsReadOnlySpan(), d, Embeddings.Value.AsReadOnlySpan(), d, 0f, y, v);
        }
        else
        {
            Gemm.Multiply(false, false, rows, v, d, 1f, hidden.AsReadOnlySpan(), d, _reverseEmbeddings!.Value.AsReadOnlySpan(), v, 0f, y, v);
        }

        if (LogitSoftCap is float cap)
        {
            // Keras' order: divide, tanh, multiply.
            TensorPrimitives.Divide(y, cap, y);
            TensorPrimitives.Tanh(y, y);
            TensorPrimitives.Multiply(y, cap, y);
        }

        _input = hidden;
        return output;
    }

    // dLogits (R, V) = dy · (1 − (y / c)²) when capped. dE (V, d) += dLogitsᵀ · hidden, or dW (d, V) += hiddenᵀ · dLogits;
    // dHidden (R, d) = dLogits · E, or dLogits · Wᵀ.
    private Tensor BackwardReverse(Tensor outputGradient)
    {
        Tensor hidden = _input!;
        int d = OutputDim, v = InputDim, rows = hidden.Length / d;
        ReadOnlySpan<float> dz = outputGradient.AsReadOnlySpan();
        if (LogitSoftCap is float cap)
        {
            Tensor logitGradient = BatchView(ref _logitGradient, outputGradient.Shape[0], OutputShape);
            Span<float> g = logitGradient.AsSpan();
            ReadOnlySpan<float> y = _output!.AsReadOnlySpan()[..g.Length];
            // tanh' = 1 − tanh², with tanh = y / c read back from the output rather than kept.
            TensorPrimitives.Divide(y, cap, g);
            TensorPrimitives.MultiplyAdd(g, g, -1f, g);
            TensorPrimitives.Negate(g, g);
            TensorPrimitives.Multiply(g, dz, g);
            dz = g;
        }

        Parameter kernel = TieWeights ? Embeddings : _reverseEmbeddings!;
        if (kernel.Trainable)
        {
            Span<float> kernelGradient = kernel.GradientForProduct(out float beta);
            if (TieWeights)
            {
                Gemm.Multiply(true, false, v, d, rows, 1f, dz, v, hidden.AsReadOnlySpan(), d, beta, kernelGradient, d);
            }
            else
            {
                Gemm.Multiply(true, false, d, v, rows, 1f, hidden.AsReadOnlySpan(), d, dz, v, beta, kernelGradient, v);
            }
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        if (TieWeights)
        {
            Gemm.Multiply(false, false, rows, d, v, 1f, dz, v, kernel.Value.AsReadOnlySpan(), d, 0f, inputGradient.AsSpan(), d);
        }
        else
        {
            Gemm.Multiply(false, true, rows, d, v, 1f, dz, v, kernel.Value.AsReadOnlySpan(), v, 0f, inputGradient.AsSpan(), d);
        }

        return inputGradient;
    }
}
