using System.Numerics.Tensors;

namespace NeuralNet;

// Conversions to and from System.Numerics.Tensors, so users can hand our tensors to
// TensorPrimitives-based code and back without copying.
public sealed partial class Tensor
{
    /// <summary>
    /// A <see cref="TensorSpan{T}"/> over this tensor's elements with the same shape. No copy: writes through
    /// the span change this tensor.
    /// </summary>
    public TensorSpan<float> AsTensorSpan()
    {
        Span<nint> lengths = stackalloc nint[Math.Max(Rank, 1)];
        FillLengths(lengths);
        return new TensorSpan<float>(AsSpan(), Rank == 0 ? lengths : lengths[..Rank]);
    }

    /// <summary>
    /// A System.Numerics.Tensors <see cref="Tensor{T}"/> sharing this tensor's storage (no copy) with the same shape.
    /// </summary>
    public Tensor<float> ToSystemTensor()
    {
        Span<nint> lengths = stackalloc nint[Math.Max(Rank, 1)];
        FillLengths(lengths);
        Span<nint> strides = stackalloc nint[lengths.Length];
        nint stride = 1;
        for (int i = lengths.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= lengths[i];
        }

        return System.Numerics.Tensors.Tensor.Create(_storage, _offset, lengths, strides);
    }

    /// <summary>Copies a System.Numerics.Tensors tensor span (any strides) into a new dense tensor of the same shape.</summary>
    /// <exception cref="ArgumentException">The source is empty or has a dimension too large for this library.</exception>
    public static Tensor FromSystemTensor(ReadOnlyTensorSpan<float> source)
    {
        ReadOnlySpan<nint> lengths = source.Lengths;
        var dims = new int[lengths.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (lengths[i] <= 0 || lengths[i] > int.MaxValue)
            {
                throw new ArgumentException($"Dimension {i} of the source is {lengths[i]}; expected 1..{int.MaxValue}.", nameof(source));
            }

            dims[i] = (int)lengths[i];
        }

        var result = new Tensor(dims);
        source.FlattenTo(result.AsSpan());
        return result;
    }

    private void FillLengths(Span<nint> lengths)
    {
        lengths[0] = 1;
        for (int i = 0; i < Rank; i++)
        {
            lengths[i] = Shape[i];
        }
    }
}
