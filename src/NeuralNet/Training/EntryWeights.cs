namespace NeuralNet.Training;

/// <summary>
/// One output's weights per entry (per row of its last axis) from a batch's <c>sampleWeight</c> of more than one weight
/// per sample, (batch, ...): the weights themselves when they have the loss values' shape, else broadcast along their
/// axes of length 1 into a buffer kept between batches, so a step allocates nothing after the first.
/// </summary>
/// <param name="outputName">The output's name, for the message when a batch does not fit.</param>
internal sealed class EntryWeights(string outputName)
{
    private float[] _buffer = [];
    private int[] _counter = [];

    /// <summary>
    /// The sum of the weights of the last batch as given, before broadcasting: the divisor of Keras'
    /// <c>mean_with_sample_weight</c> when no mask joins them (<c>reduce_values</c> sums the <c>sample_weight</c> it
    /// multiplied into the values, which broadcasting did not expand).
    /// </summary>
    public double GivenSum { get; private set; }

    /// <summary>
    /// The weight of each entry of <paramref name="output"/> (batch, ..., last axis), in row-major order: batch · ... values.
    /// </summary>
    /// <param name="weights">The batch's weights, (batch, ...), already checked to fit the output (<see cref="SampleWeights.CheckFitsOutput"/>).</param>
    /// <param name="output">The output's batch.</param>
    /// <exception cref="ArgumentException">The weights do not fit this batch of the output (a batch of another shape than the data checked).</exception>
    public ReadOnlySpan<float> For(Tensor weights, Tensor output)
    {
        ReadOnlySpan<int> entries = output.Rank < 2 ? default : output.Shape.Dimensions[1..^1];
        ReadOnlySpan<int> given = weights.Shape.Dimensions[1..];
        if (given.Length == entries.Length + 1 && given[^1] == 1)
        {
            given = given[..^1];
        }

        if (weights.Shape[0] != output.Shape[0] || !SampleWeights.Fits(given, entries))
        {
            SampleWeights.CheckFitsOutput(weights, outputName, output.Shape.DropFirst(), "sampleWeight");
        }

        double sum = 0;
        foreach (float w in weights.AsReadOnlySpan())
        {
            sum += w;
        }

        GivenSum = sum;
        if (given.SequenceEqual(entries))
        {
            return weights.AsReadOnlySpan();
        }

        int perSample = 1;
        foreach (int length in entries)
        {
            perSample *= length;
        }

        int samples = output.Shape[0], count = samples * perSample;
        if (_buffer.Length < count)
        {
            _buffer = new float[count];
        }

        if (_counter.Length < entries.Length)
        {
            _counter = new int[entries.Length];
        }

        // Walks the entries in row-major order with an odometer over their axes; an axis of length 1 in the weights keeps
        // their offset still (stride 0), as broadcasting does.
        ReadOnlySpan<float> source = weights.AsReadOnlySpan();
        Span<float> destination = _buffer.AsSpan(0, count);
        Span<int> counter = _counter.AsSpan(0, entries.Length);
        int weightsPerSample = source.Length / Math.Max(samples, 1);
        int e = 0;
        for (int s = 0; s < samples; s++)
        {
            counter.Clear();
            for (int i = 0; i < perSample; i++)
            {
                int offset = 0, stride = 1;
                for (int a = entries.Length - 1; a >= 0; a--)
                {
                    if (given[a] != 1)
                    {
                        offset += counter[a] * stride;
                    }

                    stride *= given[a];
                }

                destination[e++] = source[(s * weightsPerSample) + offset];
                for (int a = entries.Length - 1; a >= 0 && ++counter[a] == entries[a]; a--)
                {
                    counter[a] = 0;
                }
            }
        }

        return destination;
    }
}
