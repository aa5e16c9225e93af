using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Grouped-query attention (Keras' <c>GroupedQueryAttention</c>, Ainslie et al., 2023): multi-head attention in which
/// the keys and values have fewer heads than the queries, each key/value head serving a group of
/// <see cref="NumQueryHeads"/> / <see cref="NumKeyValueHeads"/> query heads. One key/value head is multi-query
/// attention; as many as the query heads is <see cref="MultiHeadAttention"/>.
/// </summary>
/// <remarks>
/// <para>Inputs, masks, causal and attention masks, dropout and <see cref="MultiHeadAttention.LastAttentionScores"/>
/// (batch, query heads, Tq, Tv) work as in <see cref="MultiHeadAttention"/>; the output has the query's features
/// (Keras' <c>feature_dim</c>; the layer has no <c>output_shape</c>).</para>
/// <para>Weights, in Keras' EinsumDense layouts and order: <c>query/kernel</c> (queryFeatures, queryHeads, headDim),
/// <c>query/bias</c> (queryHeads, headDim), <c>key/kernel</c> (keyFeatures, keyValueHeads, headDim), <c>key/bias</c>
/// (keyValueHeads, headDim), <c>value/kernel</c> (valueFeatures, keyValueHeads, headDim), <c>value/bias</c>
/// (keyValueHeads, headDim), <c>attention_output/kernel</c> (queryHeads, headDim, queryFeatures),
/// <c>attention_output/bias</c> (queryFeatures); with <see cref="MultiHeadAttention.UseGate"/> (Keras 3.15's <c>use_gate</c>),
/// <c>gate/kernel</c> (queryFeatures, queryHeads, headDim) and <c>gate/bias</c> (queryHeads, headDim) after the key's, as
/// Keras builds them.</para>
/// <para>Keras repeats each key/value head for its group (<c>ops.repeat(key, num_repeats, axis=2)</c>: query head h reads
/// key/value head h / group); here the heads are read in place, and the gradient of a shared key/value head is the sum over
/// its group. Scores are q·kᵀ / sqrt(headDim), as in Keras.</para>
/// </remarks>
public sealed class GroupedQueryAttention : MultiHeadAttention
{
    /// <summary>Creates a grouped-query attention layer.</summary>
    /// <param name="headDim">The size of each head of the query, key and value, at least 1.</param>
    /// <param name="numQueryHeads">The number of query heads, a multiple of <paramref name="numKeyValueHeads"/>.</param>
    /// <param name="numKeyValueHeads">The number of key and value heads, at least 1.</param>
    /// <param name="dropout">The dropout rate of the attention probabilities during training, in [0, 1).</param>
    /// <param name="useBias">Whether the four projections (five with <see cref="MultiHeadAttention.UseGate"/>) have biases.</param>
    /// <param name="kernelInitializer">How the four kernels start; null for <see cref="GlorotUniform"/>.</param>
    /// <param name="biasInitializer">How the four biases start; null for <see cref="Zeros"/>.</param>
    /// <param name="kernelRegularizer">A penalty on each kernel, or null.</param>
    /// <param name="biasRegularizer">A penalty on each bias, or null.</param>
    /// <param name="useCausalMask">Whether query t attends only to keys s &lt;= t (Keras' call argument <c>use_causal_mask</c>).</param>
    /// <param name="useAttentionMask">Whether the layer takes the attention mask as its last input (Keras' call argument <c>attention_mask</c>).</param>
    /// <param name="returnAttentionScores">Whether the layer has a second output, the attention scores (batch, query heads, Tq, Tv) (Keras' call
    /// argument <c>return_attention_scores</c>); see <see cref="MultiHeadAttention.ReturnAttentionScores"/>.</param>
    /// <param name="seed">The seed of the dropout masks; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>grouped_query_attention</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or the dropout rate is outside [0, 1).</exception>
    /// <exception cref="ArgumentException"><paramref name="numQueryHeads"/> is not a multiple of <paramref name="numKeyValueHeads"/>.</exception>
    public GroupedQueryAttention(
        int headDim,
        int numQueryHeads,
        int numKeyValueHeads,
        double dropout = 0.0,
        bool useBias = true,
        Initializer? kernelInitializer = null,
        Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null,
        Regularizer? biasRegularizer = null,
        bool useCausalMask = false,
        bool useAttentionMask = false,
        bool returnAttentionScores = false,
        long? seed = null,
        string? name = null)
        : base(CheckHeads(numQueryHeads, numKeyValueHeads), numKeyValueHeads, CheckHeadDim(headDim), CheckDropout(dropout), useBias, kernelInitializer, biasInitializer,
            kernelRegularizer, biasRegularizer, useCausalMask, useAttentionMask, returnAttentionScores, seed, name)
    {
    }

    /// <summary>The size of each head of the query, key and value.</summary>
    public int HeadDim => KeyDim;

    /// <summary>The number of query heads (<see cref="MultiHeadAttention.NumHeads"/>).</summary>
    public int NumQueryHeads => NumHeads;

    /// <summary>The number of key and value heads.</summary>
    public int NumKeyValueHeads => KeyValueHeads;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "grouped_query_attention";

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static new GroupedQueryAttention FromConfig(Config config)
    {
        RefuseSlidingWindow(config);
        int headDim = config.GetInt32("head_dim", minimum: 1);
        int queryHeads = config.GetInt32("num_query_heads", minimum: 1);
        int keyValueHeads = config.GetInt32("num_key_value_heads", minimum: 1);
        Config d = config.WithDefaults(new GroupedQueryAttention(headDim, keyValueHeads, keyValueHeads).GetConfig());
        return new GroupedQueryAttention(headDim, queryHeads, keyValueHeads, d.GetDouble("dropout"), d.GetBoolean("use_bias"),
            d.GetInitializer("kernel_initializer"), d.GetInitializer("bias_initializer"), d.GetRegularizer("kernel_regularizer"),
            d.GetRegularizer("bias_regularizer"), d.GetBoolean("use_causal_mask"), d.GetBoolean("use_attention_mask"),
            d.GetBoolean("return_attention_scores"), d.GetNullableInt64("seed"), config.GetString("name"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
            UseGate = d.GetBoolean("use_gate"),
            FlashAttention = ReadFlashAttention(d),
        };
    }

    /// <inheritdoc/>
    private protected override Config WriteConfig(Config layerConfig) => (FlashAttention is bool flash ? layerConfig.Set("flash_attention", flash) : layerConfig.SetNull("flash_attention"))
        .Set("head_dim", HeadDim)
        .Set("num_query_heads", NumQueryHeads)
        .Set("num_key_value_heads", NumKeyValueHeads)
        .Set("use_bias", UseBias)
        .Set("dropout", Dropout)
        .Set("kernel_initializer", KernelInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("bias_constraint", BiasConstraint)
        .Set("use_gate", UseGate)
        .Set("seed", DropoutSeed)
        .Set("use_causal_mask", UseCausalMask)
        .Set("use_attention_mask", UseAttentionMask)
        .Set("return_attention_scores", ReturnAttentionScores);

    private static int CheckHeads(int numQueryHeads, int numKeyValueHeads)
    {
        (int queryHeads, int keyValueHeads) = (numQueryHeads, numKeyValueHeads);
        if (queryHeads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numQueryHeads), queryHeads, $"GroupedQueryAttention expects a positive number of query heads but got numQueryHeads={queryHeads}.");
        }

        if (keyValueHeads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numKeyValueHeads), keyValueHeads, $"GroupedQueryAttention expects a positive number of key/value heads but got numKeyValueHeads={keyValueHeads}.");
        }

        if (queryHeads % keyValueHeads != 0)
        {
            throw new ArgumentException(
                $"GroupedQueryAttention: numQueryHeads must be divisible by numKeyValueHeads (Keras' rule), but got numQueryHeads={queryHeads} and numKeyValueHeads={keyValueHeads}.",
                nameof(numKeyValueHeads));
        }

        return queryHeads;
    }

    private static double CheckDropout(double dropout) => dropout is >= 0.0 and < 1.0
        ? dropout
        : throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"GroupedQueryAttention expects a dropout rate in [0, 1) but got dropout={dropout}.");

    private static int CheckHeadDim(int headDim) => headDim >= 1
        ? headDim
        : throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"GroupedQueryAttention expects a positive head size but got headDim={headDim}.");
}
