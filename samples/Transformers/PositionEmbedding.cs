using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives; // not the namespace: its Tensor class would make NeuralNet's Tensor ambiguous (CS0104) where this is copied
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Samples.Transformers;

/// <summary>
/// Adds a learned vector to every position of a sequence: (batch, steps, features) -> (batch, steps, features), with one
/// trainable weight <c>embeddings</c> (steps, features). The same as Keras' ViT example, which adds
/// <c>Embedding(steps, features)(range(steps))</c> to the patches, without the constant positions input.
/// </summary>
internal sealed class PositionEmbedding : Layer
{
    private Parameter? _embeddings;
    private Tensor? _output;

    public PositionEmbedding(string? name = null)
        : base(name)
    {
    }

    public override string DefaultNamePrefix => "position_embedding";

    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, steps, features) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _embeddings = AddParameter("embeddings", inputShape, new RandomNormal(standardDeviation: 0.02));
        return inputShape;
    }

    protected override Tensor OnForward(Tensor input, bool training)
    {
        // output[b] = input[b] + embeddings, for each sample b
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        ReadOnlySpan<float> e = _embeddings!.Value.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int offset = 0; offset < x.Length; offset += e.Length)
        {
            TensorPrimitives.Add(x.Slice(offset, e.Length), e, y.Slice(offset, e.Length));
        }

        return output;
    }

    protected override Tensor OnBackward(Tensor outputGradient)
    {
        // dEmbeddings += Σ_b dY[b]; dInput = dY
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> de = _embeddings!.Gradient.AsSpan();
        for (int offset = 0; offset < dy.Length; offset += de.Length)
        {
            TensorPrimitives.Add(de, dy.Slice(offset, de.Length), de);
        }

        return outputGradient;
    }
}
