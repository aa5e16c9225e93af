using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Encodes integer ids (held in floats) as one-hot, multi-hot or count vectors of <see cref="NumTokens"/> entries
/// (Keras' <c>CategoryEncoding</c>), when the number of categories is known in advance; see
/// <see cref="CategoryOutputMode"/> for the output shapes.
/// </summary>
/// <remarks>
/// <para>Keras' rules, for batches whose first axis is the batch axis: input (batch, n) gives (batch, numTokens) in
/// the multi-hot and count modes (the last axis is the sample's row of ids) and (batch, n, numTokens) in one-hot mode,
/// or (batch, numTokens) when n is 1; input (batch,) of one id per sample gives (batch, numTokens) in every mode. Keras
/// reads a lone rank-1 array as a single sample in the multi-hot and count modes; here a rank-1 batch is always a
/// batch of single ids, as Keras treats (batch, 1). Higher ranks encode the last axis in every mode (Keras refuses
/// count beyond rank 2).</para>
/// <para>Ids must be whole numbers in [0, numTokens); anything else fails naming the sample and the position (Keras'
/// "Input values must be in the range 0 &lt;= values &lt; num_tokens"). Keras' <c>count_weights</c> and sparse
/// outputs are not supported. The ids get no gradient (they are not differentiable).</para>
/// </remarks>
/// <example><c>new CategoryEncoding(4, CategoryOutputMode.Count)</c> maps the batch [[0, 1], [0, 0]] to [[1, 1, 0, 0], [2, 0, 0, 0]].</example>
public sealed class CategoryEncoding : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _ids = [];
    private int _batch = -1;

    /// <summary>Creates a category encoding layer.</summary>
    /// <param name="numTokens">The number of categories: ids run from 0 to numTokens − 1.</param>
    /// <param name="outputMode">One-hot, multi-hot (Keras' default) or count; <see cref="CategoryOutputMode.Int"/> is not an encoding and is refused.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>category_encoding</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numTokens"/> is below 1, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="outputMode"/> is <see cref="CategoryOutputMode.Int"/>.</exception>
    public CategoryEncoding(int numTokens, CategoryOutputMode outputMode = CategoryOutputMode.MultiHot, string? name = null)
        : base(name)
    {
        if (numTokens < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numTokens), numTokens, $"`num_tokens` must be >= 1. Received: numTokens={numTokens}.");
        }

        CategoryEncoder.CheckDefined(outputMode, nameof(outputMode));
        if (outputMode == CategoryOutputMode.Int)
        {
            throw new ArgumentException("CategoryEncoding encodes ids: outputMode must be OneHot, MultiHot or Count. Received: outputMode=Int.", nameof(outputMode));
        }

        NumTokens = numTokens;
        OutputMode = outputMode;
    }

    /// <summary>The number of categories.</summary>
    public int NumTokens { get; }

    /// <summary>The encoding.</summary>
    public CategoryOutputMode OutputMode { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "category_encoding";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("num_tokens", NumTokens)
        .Set("output_mode", CategoryEncoder.Name(OutputMode))
        .Set("sparse", false);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static CategoryEncoding FromConfig(Config config)
    {
        CategoryEncoder.RequireDense(config);
        CategoryOutputMode mode = CategoryEncoder.Read(config, "multi_hot");
        if (mode == CategoryOutputMode.Int)
        {
            throw config.Error("\"output_mode\" is \"int\"; CategoryEncoding takes \"one_hot\", \"multi_hot\" or \"count\".");
        }

        return new(config.GetInt32("num_tokens", minimum: 1), mode, config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => CategoryEncoder.OutputShape(inputShape, OutputMode, NumTokens);

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        if (_ids.Length < x.Length)
        {
            _ids = new int[x.Length];
        }

        Span<int> ids = _ids.AsSpan(0, x.Length);
        int sampleLength = InputShape.ElementCount;
        for (int i = 0; i < x.Length; i++)
        {
            float id = x[i];
            if (!(id >= 0 && id < NumTokens && id == MathF.Floor(id)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: input values must be whole numbers in the range 0 <= values < num_tokens with num_tokens={NumTokens}, but {CategoryEncoder.Where(i, sampleLength)} holds {id}."), nameof(input));
            }

            ids[i] = (int)id;
        }

        _batch = input.Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        CategoryEncoder.Encode(ids, CategoryEncoder.RowLength(InputShape), OutputMode, NumTokens, output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        IdGradient.CheckBatch(this, outputGradient, _batch);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        // Ids are not differentiable: their gradient is zero.
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }
}
