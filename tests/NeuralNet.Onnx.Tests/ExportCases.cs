using Xunit;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// One small model per layer type and option the exporter handles, with random weights: images of odd sizes (so that
/// 'same' padding is asymmetric), layouts mixed at merges, shared layers, several inputs and outputs.
/// </summary>
internal static class ExportCases
{
    public static readonly IReadOnlyDictionary<string, Func<Model>> All = new Dictionary<string, Func<Model>>
    {
        ["dense_relu_softmax"] = () => Chain([8], new Dense(16, ActivationFunction.Relu), new Dense(4, ActivationFunction.Softmax)),
        ["dense_linear_no_bias"] = () => Chain([8], new Dense(5, useBias: false)),
        ["dense_sigmoid"] = () => Chain([8], new Dense(6, ActivationFunction.Sigmoid)),
        ["dense_tanh"] = () => Chain([8], new Dense(6, ActivationFunction.Tanh)),
        ["dense_leaky_relu"] = () => Chain([8], new Dense(6, new LeakyRelu(0.3f))),
        ["dense_elu"] = () => Chain([8], new Dense(6, new Elu(0.7f))),
        ["dense_gelu"] = () => Chain([8], new Dense(6, new Gelu())),
        ["dense_gelu_tanh"] = () => Chain([8], new Dense(6, new Gelu(approximate: true))),
        ["dense_on_sequences"] = () => Chain([5, 6], new Dense(7, ActivationFunction.Tanh), new Dense(3, ActivationFunction.Softmax)),
        ["conv_valid_relu"] = () => Chain([9, 10, 3], new Conv2D(4, (3, 2), activation: ActivationFunction.Relu)),
        ["conv_same_strided_no_bias"] = () => Chain([9, 10, 3], new Conv2D(5, 3, strides: 2, padding: Padding.Same, useBias: false)),
        ["conv_same_even_kernel"] = () => Chain([7, 8, 2], new Conv2D(3, 4, padding: Padding.Same, activation: ActivationFunction.Sigmoid)),
        ["conv_grouped_dilated_same"] = () => Chain([9, 8, 4], new Conv2D(6, 3, padding: Padding.Same, dilationRate: 2, groups: 2)),
        ["conv_grouped_strided_valid"] = () => Chain([9, 8, 6], new Conv2D(4, (3, 2), strides: (2, 1), groups: 2, activation: ActivationFunction.Relu)),
        ["conv_softmax_over_channels"] = () => Chain([6, 5, 2], new Conv2D(4, 3, padding: Padding.Same, activation: ActivationFunction.Softmax)),
        ["conv_gelu_then_flatten"] = () => Chain([7, 7, 1], new Conv2D(3, 3, activation: new Gelu()), new Flatten(), new Dense(4)),
        ["max_pool_valid"] = () => Chain([9, 10, 3], new MaxPooling2D(2)),
        ["max_pool_same_strided"] = () => Chain([9, 10, 3], new MaxPooling2D((3, 2), (2, 3), Padding.Same)),
        ["average_pool_valid"] = () => Chain([9, 10, 3], new AveragePooling2D((3, 3), (2, 2))),
        ["average_pool_same"] = () => Chain([9, 10, 3], new AveragePooling2D(3, 2, Padding.Same)),
        ["global_average_pool"] = () => Chain([7, 6, 3], new Conv2D(4, 3), new GlobalAveragePooling2D(), new Dense(2)),
        ["global_average_pool_of_input"] = () => Chain([7, 6, 3], new GlobalAveragePooling2D()),
        ["layer_scale_and_stochastic_depth_sequences"] = () => Chain([4, 5], new Dense(6), new LayerScale(0.3f, 6), new StochasticDepth(0.2)),
        ["position_embedding_added_to_tokens"] = () => PositionsAdded([5, 6], new PositionEmbedding(8)),
        ["position_embedding_hierarchical_past_sequence_length"] = () => PositionsAdded([7, 4], new PositionEmbedding(3, hierarchicalAlpha: 0.25)),
        ["position_embedding_of_images_rows"] = () => Chain([3, 5, 4], new Conv2D(4, 1), new PositionEmbedding(5)),
        ["layer_scale_images_after_convolution"] = () => Chain([5, 6, 3], new Conv2D(4, 3), new LayerScale(-0.7f, 4)),
        ["global_average_pool_keepdims_squeeze_excite"] = () => Chain([5, 6, 3], new GlobalAveragePooling2D(keepDims: true), new Conv2D(4, 1), new Flatten()),
        ["batch_norm_images"] = () => Chain([6, 7, 3], new Conv2D(4, 3), new BatchNormalization(), new Activation(ActivationFunction.Relu)),
        ["batch_norm_input_images"] = () => Chain([6, 7, 3], new BatchNormalization(epsilon: 0.01f)),
        ["batch_norm_features"] = () => Chain([8], new Dense(6), new BatchNormalization(center: false)),
        ["batch_norm_sequences_no_scale"] = () => Chain([4, 5], new BatchNormalization(scale: false)),
        ["activation_layers"] = () => Chain([8], new Activation(new Elu()), new Activation(ActivationFunction.Softmax)),
        ["keras3_activation_functions"] = () => Chain([8],
            new Dense(6, ActivationFunction.Exponential), new Dense(6, ActivationFunction.Selu), new Dense(6, ActivationFunction.Softplus),
            new Dense(6, ActivationFunction.Softsign), new Dense(6, ActivationFunction.Silu), new Dense(6, ActivationFunction.HardSigmoid),
            new Dense(6, ActivationFunction.HardSilu), new Dense(6, ActivationFunction.Mish), new Dense(6, ActivationFunction.Relu6),
            new Dense(6, ActivationFunction.LogSoftmax)),
        ["keras_activation_layers"] = () => Chain([8], new Dense(8), new ReLU(maxValue: 0.5f), new Dense(8), new LeakyReLU(), new ELU(0.5f),
            new ReLU(0.8f, 0.3f, 0.1f), new ReLU(), new Dense(4), new Layers.Softmax()),
        ["conv_keras3_activations"] = () => Chain([6, 5, 2], new Conv2D(3, 3, padding: Padding.Same, activation: ActivationFunction.HardSilu),
            new Conv2D(4, 1, activation: ActivationFunction.Mish), new ReLU(maxValue: 0.6f), new Activation(ActivationFunction.LogSoftmax)),
        ["dropout_identity"] = () => Chain([8], new Dropout(0.5), new Dense(4), new Identity(), new Dropout(0.2)),
        ["noise_identity"] = () => Chain([6, 5], new GaussianNoise(0.1), new SpatialDropout1D(0.2), new Conv1D(4, 3), new GaussianDropout(0.2), new AlphaDropout(0.1), new Flatten(), new Dense(3)),
        ["spatial_dropout2d_identity"] = () => Chain([5, 5, 2], new SpatialDropout2D(0.3), new Conv2D(3, 2), new GaussianNoise(0.2)),
        ["spatial_dropout3d_identity"] = () => Chain([4, 3, 5, 2], new SpatialDropout3D(0.3), new Conv3D(3, 2), new SpatialDropout3D(0.5)),
        ["flatten_images"] = () => Chain([4, 5, 3], new Flatten()),
        ["reshape"] = () => Chain([12], new Reshape(3, -1), new Dense(2)),
        ["reshape_images"] = () => Chain([6, 6, 2], new Conv2D(2, 3), new Reshape(-1, 4)),
        ["permute"] = () => Chain([3, 4, 5], new Permute(3, 1, 2)),
        ["permute_after_conv"] = () => Chain([5, 6, 2], new Conv2D(3, 2), new Permute(2, 3, 1)),
        ["repeat_vector"] = () => Chain([6], new RepeatVector(4), new Dense(3)),
        ["depth_to_space_after_conv"] = () => Chain([3, 4, 2], new Conv2D(12, 1), new DepthToSpace(2), new Conv2D(2, 3, padding: Padding.Same)),
        ["depth_to_space_of_input_then_dense"] = () => Chain([2, 3, 18], new DepthToSpace(3), new Dense(4)),
        ["space_to_depth_of_input_then_conv"] = () => Chain([6, 4, 2], new SpaceToDepth(2), new Conv2D(3, 1)),
        ["merges_mixed_layouts"] = MergesMixedLayouts,
        ["concatenate_images"] = ConcatenateImages,
        ["concatenate_sequences_axis1"] = () => TwoInputs([3, 4], [2, 4], (a, b) => new Concatenate(axis: 1).Call(a, b)),
        ["zero_padding1d"] = () => Chain([5, 3], new ZeroPadding1D((1, 2)), new Conv1D(2, 3)),
        ["cropping1d"] = () => Chain([6, 3], new Cropping1D((2, 1))),
        ["up_sampling1d"] = () => Chain([4, 3], new Conv1D(2, 2), new UpSampling1D(3)),
        ["activity_regularization"] = () => Chain([5], new Dense(4), new ActivityRegularization(0.1, 0.2), new Dense(2)),
        ["merge_broadcast_same_rank"] = () => TwoInputs([3, 4], [1, 4], (a, b) => new Subtract().Call(a, b)),
        ["merge_broadcast_lower_rank"] = () => TwoInputs([3, 4], [4], (a, b) => new Add().Call(b, a)),
        ["merge_broadcast_conv_and_vector"] = () => TwoInputs([6, 5, 2], [3], (a, b) => new Multiply().Call(new Conv2D(3, 3).Call(a), b)),
        ["merge_broadcast_variadic_lower_rank"] = () => TwoInputs([3, 4], [4], (a, b) => new Maximum().Call(a, b, new Average().Call(a, b))),
        ["dot_vectors"] = () => TwoInputs([6], [6], (a, b) => new Dot(1).Call(a, b)),
        ["dot_vectors_normalized"] = () => TwoInputs([6], [6], (a, b) => new Dot(-1, normalize: true).Call(a, b)),
        ["dot_sequences"] = () => TwoInputs([3, 5], [4, 5], (a, b) => new Dot((2, 2)).Call(a, b)),
        ["dot_sequences_mixed_axes_normalized"] = () => TwoInputs([3, 5], [5, 4], (a, b) => new Dot((2, 1), normalize: true).Call(a, b)),
        ["embedding"] = () => Chain([5], new Embedding(9, 4), new Flatten()),
        ["simple_rnn"] = () => Chain([5, 3], new SimpleRnn(4)),
        ["simple_rnn_sequences_backwards_relu"] = () => Chain([5, 3], new SimpleRnn(4, ActivationFunction.Relu, returnSequences: true, goBackwards: true)),
        ["lstm"] = () => Chain([5, 3], new Lstm(4)),
        ["lstm_sequences"] = () => Chain([5, 3], new Lstm(4, returnSequences: true)),
        ["lstm_backwards_no_bias"] = () => Chain([5, 3], new Lstm(3, useBias: false, goBackwards: true)),
        ["lstm_sequences_backwards"] = () => Chain([5, 3], new Lstm(3, returnSequences: true, goBackwards: true)),
        ["gru"] = () => Chain([5, 3], new Gru(4)),
        ["gru_sequences_backwards"] = () => Chain([5, 3], new Gru(4, returnSequences: true, goBackwards: true)),
        ["gru_reset_before"] = () => Chain([5, 3], new Gru(4, resetAfter: false)),
        ["gru_reset_before_sequences_no_bias"] = () => Chain([5, 3], new Gru(3, resetAfter: false, useBias: false, returnSequences: true)),
        ["bidirectional_lstm_concat_sequences"] = () => Chain([5, 3], new Bidirectional(new Lstm(4, returnSequences: true))),
        ["bidirectional_lstm_concat_last"] = () => Chain([5, 3], new Bidirectional(new Lstm(4))),
        ["bidirectional_gru_sum_sequences"] = () => Chain([5, 3], new Bidirectional(new Gru(4, returnSequences: true), BidirectionalMergeMode.Sum)),
        ["bidirectional_gru_reset_before_mul_last"] = () => Chain([5, 3], new Bidirectional(new Gru(3, resetAfter: false), BidirectionalMergeMode.Mul)),
        ["bidirectional_simple_rnn_ave_sequences_no_bias"] = () => Chain([5, 3], new Bidirectional(new SimpleRnn(4, ActivationFunction.Relu, useBias: false, returnSequences: true), BidirectionalMergeMode.Ave)),
        ["bidirectional_lstm_ave_last"] = () => Chain([5, 3], new Bidirectional(new Lstm(3), BidirectionalMergeMode.Ave)),
        ["bidirectional_lstm_forward_gru_backward_sequences"] = () => Chain([5, 3],
            new Bidirectional(new Lstm(4, returnSequences: true), backwardLayer: new Gru(3, returnSequences: true, goBackwards: true))),
        ["bidirectional_forward_layer_goes_backwards_sequences"] = () => Chain([5, 3], new Bidirectional(new Gru(3, returnSequences: true, goBackwards: true), BidirectionalMergeMode.Sum)),
        ["bidirectional_forward_layer_goes_backwards_last"] = () => Chain([5, 3], new Bidirectional(new Lstm(3, goBackwards: true))),
        ["bidirectional_text_model"] = () => Chain([6], new Embedding(12, 5), new Bidirectional(new Lstm(4, returnSequences: true)),
            new Bidirectional(new Gru(3), BidirectionalMergeMode.Ave), new Dense(2, ActivationFunction.Softmax)),
        ["bidirectional_no_merge_two_outputs"] = BidirectionalApart,
        ["simple_rnn_return_state"] = () => ReturnsStates(new SimpleRnn(4) { ReturnState = true }),
        ["lstm_return_state_sequences_backwards"] = () => ReturnsStates(new Lstm(4, returnSequences: true, goBackwards: true) { ReturnState = true }),
        ["gru_reset_before_return_state"] = () => ReturnsStates(new Gru(4, resetAfter: false) { ReturnState = true }),
        ["simple_rnn_from_initial_state_sequences"] = () => FromInitialStates(new SimpleRnn(4, returnSequences: true)),
        ["lstm_from_initial_states_return_state"] = () => FromInitialStates(new Lstm(3) { ReturnState = true }),
        ["gru_from_initial_state_backwards_no_bias"] = () => FromInitialStates(new Gru(4, useBias: false, goBackwards: true)),
        ["lstm_encoder_decoder"] = LstmEncoderDecoder,
        ["bidirectional_lstm_return_state_sequences"] = () => ReturnsStates(new Bidirectional(new Lstm(3, returnSequences: true) { ReturnState = true })),
        ["bidirectional_no_merge_return_state_gru_and_lstm"] = () => ReturnsStates(new Bidirectional(new Gru(3) { ReturnState = true }, BidirectionalMergeMode.None,
            backwardLayer: new Lstm(2, goBackwards: true) { ReturnState = true })),
        ["masked_gru_encoder_decoder"] = MaskedGruEncoderDecoder,
        ["masked_bidirectional_simple_rnn_return_state"] = () =>
        {
            var ids = new Input(new TensorShape(6), name: "ids");
            return new Functional([ids], RecurrentStateExportTests.Apart(new Bidirectional(new SimpleRnn(3) { ReturnState = true }, BidirectionalMergeMode.Sum).CallOutputs(MaskedWords(ids))), seed: 3);
        },
        ["masked_lstm_from_initial_states_sequences_return_state"] = () =>
        {
            // The states a Dense makes from a second input: the mask's steps before the first real one output zeros
            // while the state is the initial one.
            var ids = new Input(new TensorShape(5), name: "ids");
            var context = new Input(new TensorShape(4), name: "context");
            SymbolicTensor h = new Dense(3, ActivationFunction.Tanh).Call(context), c = new Dense(3).Call(context);
            return new Functional([ids, context], RecurrentStateExportTests.Apart(new Lstm(3, returnSequences: true) { ReturnState = true }.CallOutputs(MaskedWords(ids), h, c)), seed: 3);
        },
        ["reversible_embedding_tied_language_model"] = () => ReversibleLanguageModel(new ReversibleEmbedding(9, 4), recurrent: false),
        ["reversible_embedding_untied_soft_cap"] = () => ReversibleLanguageModel(new ReversibleEmbedding(9, 4, tieWeights: false, logitSoftCap: 1.5f), recurrent: false),
        ["reversible_embedding_masked_gru_soft_cap"] = () => ReversibleLanguageModel(new ReversibleEmbedding(9, 4, maskZero: true, logitSoftCap: 2f), recurrent: true),
        ["time_distributed_dense"] = () => Chain([5, 6], new TimeDistributed(new Dense(4, ActivationFunction.Relu))),
        ["spectral_normalization_dense_conv"] = () => Chain([7, 6, 2], new SpectralNormalization(new Conv2D(3, 3, padding: Padding.Same, activation: ActivationFunction.Relu)),
            new Flatten(), new SpectralNormalization(new Dense(4, ActivationFunction.Softmax), powerIterations: 2)),
        ["spectral_normalization_embedding"] = () => Chain([5], new SpectralNormalization(new Embedding(9, 3))),
        ["time_distributed_video_classifier"] = () => Chain([3, 6, 5, 2], new TimeDistributed(new Conv2D(3, 3, padding: Padding.Same, activation: ActivationFunction.Relu)),
            new TimeDistributed(new MaxPooling2D(2)), new TimeDistributed(new Flatten()), new Lstm(4), new Dense(2)),
        ["time_distributed_conv2d_output"] = () => Chain([2, 5, 4, 2], new TimeDistributed(new Conv2D(3, 2))),
        ["time_distributed_lstm_over_rank4"] = () => Chain([3, 4, 2], new TimeDistributed(new Lstm(3, returnSequences: true))),
        ["time_distributed_bidirectional"] = () => Chain([3, 4, 2], new TimeDistributed(new Bidirectional(new Gru(2))), new Flatten()),
        ["time_distributed_bidirectional_no_merge"] = () => Chain([3, 4, 2], new TimeDistributed(new Bidirectional(new Gru(2, returnSequences: true), BidirectionalMergeMode.None))),
        ["time_distributed_batch_norm_dropout"] = () => Chain([4, 5], new TimeDistributed(new BatchNormalization()), new TimeDistributed(new Dropout(0.3)), new TimeDistributed(new Dense(2))),
        ["attention_dot"] = () => Sequences([4, 6], [5, 6], null, (q, v, _) => new Attention().Call(q, v)),
        ["attention_dot_scaled_key_causal"] = () => Sequences([5, 6], [5, 3], [5, 6], (q, v, k) => new Attention(useScale: true, useCausalMask: true).Call(q, v, k!)),
        ["attention_concat_scaled"] = () => Sequences([4, 6], [5, 6], null, (q, v, _) => new Attention(useScale: true, scoreMode: AttentionScoreMode.Concat).Call(q, v)),
        ["attention_concat_mask_inputs"] = () => MaskedSequences([4, 6], [5, 6], null, (q, v, _, qm, vm) => new Attention(scoreMode: AttentionScoreMode.Concat, useMasks: true).Call(q, v, qm, vm)),
        ["attention_dot_key_mask_inputs_causal"] = () => MaskedSequences([5, 6], [5, 3], [5, 6], (q, v, k, qm, vm) => new Attention(useScale: true, useCausalMask: true, useMasks: true).Call(q, v, k!, qm, vm)),
        ["additive_attention"] = () => Sequences([4, 6], [5, 6], null, (q, v, _) => new AdditiveAttention().Call(q, v)),
        ["additive_attention_no_scale_key_causal"] = () => Sequences([4, 6], [5, 3], [5, 6], (q, v, k) => new AdditiveAttention(useScale: false, useCausalMask: true).Call(q, v, k!)),
        ["additive_attention_mask_inputs"] = () => MaskedSequences([4, 6], [5, 6], null, (q, v, _, qm, vm) => new AdditiveAttention(useMasks: true).Call(q, v, qm, vm)),
        ["multi_head_self_attention"] = () => Sequences([5, 6], null, null, (x, _, _) => new MultiHeadAttention(2, 3).Call(x, x)),
        ["multi_head_cross_attention_key_value_dims_no_bias"] = () => Sequences([4, 6], [5, 3], [5, 7],
            (q, v, k) => new MultiHeadAttention(3, 2, valueDim: 4, useBias: false, outputShape: 5).Call(q, v, k!)),
        ["multi_head_attention_causal"] = () => Sequences([5, 6], null, null, (x, _, _) => new MultiHeadAttention(2, 4, useCausalMask: true).Call(x, x)),
        ["multi_head_attention_mask_per_head_broadcast"] = () => AttentionMasked([4, 6], [5, 6], [2, 1, 5], (q, v, m) => new MultiHeadAttention(2, 3, useAttentionMask: true).Call(q, v, m)),
        ["multi_head_attention_pixels_default_axes"] = PixelSelfAttention,
        ["multi_head_attention_axis_1_of_4d"] = () => Sequences([3, 4, 6], [2, 4, 6], null, (q, v, _) => new MultiHeadAttention(2, 3, attentionAxes: [1]).Call(q, v)),
        ["multi_head_attention_reversed_axes_with_key"] = () => Sequences([3, 4, 6], [2, 5, 6], [2, 5, 3], (q, v, k) => new MultiHeadAttention(2, 3, valueDim: 4, outputShape: 5, attentionAxes: [2, 1]).Call(q, v, k!)),
        ["multi_head_attention_5d_mask_over_groups"] = () => AttentionMasked([2, 3, 4, 6], [2, 3, 5, 6], [3, 2, 2, 4, 2, 5], (q, v, m) => new MultiHeadAttention(2, 3, attentionAxes: [1, 3], useAttentionMask: true).Call(q, v, m)),
        ["multi_head_attention_5d_mask_broadcast_groups"] = () => AttentionMasked([2, 3, 4, 6], [2, 3, 5, 6], [2, 4, 1, 1], (q, v, m) => new MultiHeadAttention(2, 3, attentionAxes: [1, 3], useAttentionMask: true).Call(q, v, m)),
        ["multi_head_attention_4d_rows_with_every_key_masked"] = () => AttentionMasked([3, 4, 6], [3, 2, 6], [3, 4, 2], (q, v, m) => new MultiHeadAttention(2, 3, attentionAxes: [2], useAttentionMask: true).Call(q, v, m)),
        ["multi_head_attention_mask_causal"] = () => AttentionMasked([5, 6], [5, 6], [5, 5], (q, v, m) => new MultiHeadAttention(2, 3, useCausalMask: true, useAttentionMask: true).Call(q, q, v, m)),
        ["multi_head_attention_gated"] = () => Sequences([5, 6], null, null, (x, _, _) => new MultiHeadAttention(2, 3) { UseGate = true }.Call(x, x)),
        ["multi_head_attention_gated_key_mask_no_bias_value_dim"] = () => AttentionMasked([5, 6], [5, 6], [5, 5], (q, v, m) => new MultiHeadAttention(2, 3, valueDim: 4, useBias: false, outputShape: 5, useCausalMask: true, useAttentionMask: true) { UseGate = true }.Call(q, q, v, m)),
        ["multi_head_attention_gated_axis_1_of_4d"] = () => Sequences([3, 4, 6], [2, 4, 6], null, (q, v, _) => new MultiHeadAttention(2, 3, valueDim: 2, attentionAxes: [1]) { UseGate = true }.Call(q, v)),
        ["grouped_query_gated"] = () => Sequences([5, 6], null, null, (x, _, _) => new GroupedQueryAttention(2, 4, 2) { UseGate = true }.Call(x, x)),
        ["grouped_query_self_attention"] = () => Sequences([5, 6], null, null, (x, _, _) => new GroupedQueryAttention(2, 4, 2).Call(x, x)),
        ["grouped_query_multi_query_causal"] = () => Sequences([5, 6], null, null, (x, _, _) => new GroupedQueryAttention(3, 3, 1, useCausalMask: true).Call(x, x)),
        ["grouped_query_cross_key_mask_no_bias"] = () => AttentionMasked([4, 6], [5, 6], [4, 5], (q, v, m) => new GroupedQueryAttention(2, 6, 3, useBias: false, useAttentionMask: true).Call(q, v, m)),
        ["masked_grouped_query_cross_attention"] = () => TwoInputs([5], [5], (a, b) => new GroupedQueryAttention(2, 4, 2).Call(MaskedWords(a), MaskedWords(b))),
        ["einsum_dense_heads"] = () => Chain([5, 6], new EinsumDense("abc,cde->abde", [null, 2, 3], new Gelu(), "de"), new Flatten()),
        ["einsum_dense_head_merge"] = () => Chain([5, 2, 3], new EinsumDense("abcd,cde->abe", [null, 4], biasAxes: "e")),
        ["einsum_dense_reordered"] = () => Chain([4, 5], new EinsumDense("abc,cd->adb", [3, 4], ActivationFunction.Relu, "db")),
        ["einsum_dense_left_ellipsis_softmax"] = () => Chain([3, 4, 5], new EinsumDense("...c,cd->...d", 6, ActivationFunction.Softmax, "d")),
        ["einsum_dense_right_ellipsis"] = () => Chain([2, 3, 4], new EinsumDense("bc...,cd->bd...", 5, biasAxes: "d")),
        ["einsum_dense_input_only_label"] = () => Chain([3, 4], new EinsumDense("abc,bd->ad", 5, biasAxes: "d")),
        ["einsum_dense_shared_label"] = () => Chain([3, 4], new EinsumDense("...bc,bc->...b", 3, biasAxes: "b")),
        ["einsum_dense_summed_input_axis"] = () => Chain([3, 4], new EinsumDense("abc,c->ab", [3], biasAxes: "b")),
        ["transformer_block"] = TransformerBlock,
        ["masking_after_relu_then_dense"] = () => Chain([5, 3], new ReLU(), new Masking(), new Dense(4), new Flatten()),
        ["masking_images_after_conv"] = () => Chain([4, 5, 2], new Conv2D(3, 2, activation: ActivationFunction.Relu), new Masking()),
        ["time_distributed_masking"] = () => Chain([3, 4, 2], new TimeDistributed(new Masking(0.25f))),
        ["pipeline_augmentation_conv_dense"] = () => Chain([6, 6, 3], new Pipeline([new RandomFlip(seed: 1), new RandomContrast(0.2, seed: 2),
            new Conv2D(2, 3, activation: ActivationFunction.Relu), new Flatten(), new Dense(3, ActivationFunction.Softmax)])),
        ["pipeline_time_distributed_inside"] = () => Chain([3, 4], new Pipeline([new TimeDistributed(new Dense(2)), new Flatten()]), new Dense(2)),
        ["pipeline_masking_first_then_lstm"] = () => Chain([4, 3], new ReLU(), new Pipeline([new Masking(), new Dense(3)]), new Lstm(2)),
        ["category_encoding_multi_hot"] = () => Chain([4], new CategoryEncoding(6), new Dense(2)),
        ["category_encoding_count_rows"] = () => Chain([2, 5], new CategoryEncoding(4, CategoryOutputMode.Count)),
        ["category_encoding_one_hot"] = () => Chain([4], new CategoryEncoding(5, CategoryOutputMode.OneHot)),
        ["category_encoding_one_hot_last_axis_of_one"] = () => Chain([3, 1], new CategoryEncoding(5, CategoryOutputMode.OneHot)),
        ["discretization_int"] = () => Chain([6], new Discretization(binBoundaries: [-1f, 0f, 0.5f])),
        ["discretization_int_images_after_conv"] = () => Chain([4, 5, 2], new Conv2D(2, 2), new Discretization(binBoundaries: [-0.5f, 0.5f])),
        ["discretization_count_repeated_boundary"] = () => Chain([2, 5], new Discretization(binBoundaries: [-0.5f, 0f, 0f, 1f], outputMode: CategoryOutputMode.Count), new Dense(2)),
        ["discretization_one_hot"] = () => Chain([3], new Discretization(binBoundaries: [0f], outputMode: CategoryOutputMode.OneHot)),
        ["discretization_multi_hot"] = () => Chain([4], new Discretization(binBoundaries: [-1f, 1f], outputMode: CategoryOutputMode.MultiHot)),
        ["integer_lookup"] = () => Chain([5], new IntegerLookup(vocabulary: [2, 3, 5, 7])),
        ["integer_lookup_mask_two_oov_indices"] = () => Chain([5], new IntegerLookup(numOovIndices: 2, maskToken: 0, vocabulary: [2, 3, 5, 7])),
        ["integer_lookup_count_mask_dropped"] = () => Chain([2, 4], new IntegerLookup(maskToken: 0, vocabulary: [1, 4, 6], outputMode: CategoryOutputMode.Count), new Dense(2)),
        ["integer_lookup_one_hot_three_oov_indices"] = () => Chain([4], new IntegerLookup(numOovIndices: 3, vocabulary: [9, 1], outputMode: CategoryOutputMode.OneHot)),
        ["integer_lookup_multi_hot_padded"] = () => Chain([6], new IntegerLookup(maxTokens: 9, vocabulary: [8, 2, 5], outputMode: CategoryOutputMode.MultiHot, padToMaxTokens: true)),
        ["integer_lookup_inverted_mask"] = () => Chain([5], new IntegerLookup(maskToken: 0, oovToken: -5, vocabulary: [12, 36, 1138, 42], invert: true)),
        ["integer_lookup_tf_idf_mask_padded"] = () => Chain([2, 4], new IntegerLookup(maxTokens: 7, maskToken: 0, vocabulary: [1, 4, 6], idfWeights: [0.5f, 1.25f, 2f], outputMode: CategoryOutputMode.TfIdf, padToMaxTokens: true), new Dense(2)),
        ["integer_lookup_tf_idf_two_oov_indices"] = () => Chain([6], new IntegerLookup(numOovIndices: 2, vocabulary: [-1, -1, 3, 8, 2], idfWeights: [0.3f, 0.7f, 1.5f, 0.25f, 2.5f], outputMode: CategoryOutputMode.TfIdf)),
        ["hashing_farmhash"] = () => Chain([5], new Hashing(7)),
        ["hashing_siphash_mask_count"] = () => Chain([2, 4], new Hashing(6, maskValue: 0, salt: [133, 137], outputMode: CategoryOutputMode.Count), new Dense(2)),
        ["hashing_one_hot"] = () => Chain([3], new Hashing(5, outputMode: CategoryOutputMode.OneHot)),
        ["hashed_crossing"] = () =>
        {
            var a = new Input(new TensorShape(1), name: "a");
            var b = new Input(new TensorShape(1), name: "b");
            return new Functional([a, b], [new HashedCrossing(6, CategoryOutputMode.OneHot).Call(a, b)], seed: 3);
        },
        ["masked_text_model"] = () => Chain([6], new Embedding(12, 5, maskZero: true), new Lstm(6, returnSequences: true), new Gru(4, goBackwards: true), new Dense(2, ActivationFunction.Softmax)),
        ["masked_bidirectional_then_average_pooling"] = () => Chain([6], new Embedding(9, 4, maskZero: true), new Bidirectional(new SimpleRnn(3, returnSequences: true)), new GlobalAveragePooling1D()),
        ["masking_after_relu_then_lstm_backwards_sequences"] = () => Chain([5, 3], new ReLU(), new Masking(), new Lstm(4, returnSequences: true, goBackwards: true)),
        ["masked_attention_then_lstm"] = () => TwoInputs([5], [5], (a, b) => new Lstm(3, returnSequences: true).Call(new Attention().Call(MaskedWords(a), MaskedWords(b)))),
        ["masked_multi_head_cross_attention"] = () => TwoInputs([5], [5], (a, b) => new MultiHeadAttention(2, 3).Call(MaskedWords(a), MaskedWords(b))),
        ["masked_merges"] = () => TwoInputs([5], [5], (a, b) =>
        {
            SymbolicTensor x = MaskedWords(a), y = MaskedWords(b);
            return new Gru(3, returnSequences: true).Call(new Concatenate().Call(new Multiply().Call(x, y), new Maximum().Call(x, y), new Minimum().Call(y, x)));
        }),
        ["time_distributed_masked_readers_after_relu"] = () => Chain([3, 4, 2], new ReLU(), new TimeDistributed(new Masking()),
            new TimeDistributed(new Lstm(3, returnSequences: true)), new TimeDistributed(new GlobalAveragePooling1D()), new Gru(2)),
        ["time_distributed_nested_masked_embedding"] = () => Chain([2, 3, 4], new TimeDistributed(new TimeDistributed(new Embedding(8, 3, maskZero: true))),
            new TimeDistributed(new TimeDistributed(new GlobalAveragePooling1D())), new TimeDistributed(new Lstm(2)), new Gru(2)),
        ["time_distributed_time_part_over_conv1d"] = () => Chain([4, 5], new TimeDistributed(new Embedding(8, 3, maskZero: true)),
            new TimeDistributed(new Conv1D(2, 3)), new TimeDistributed(new GlobalAveragePooling1D()), new Lstm(2, returnSequences: true)),
        ["time_distributed_time_part_over_repeat_vector"] = () => Chain([5, 2], new ReLU(), new Masking(), new TimeDistributed(new RepeatVector(2)),
            new TimeDistributed(new Lstm(3)), new Gru(2, returnSequences: true)),
        ["text_model"] = () => Chain([6], new Embedding(12, 5), new Lstm(6, returnSequences: true), new Gru(4), new Dense(2, ActivationFunction.Softmax)),
        ["conv1d_valid"] = () => Chain([9, 3], new Conv1D(4, 3, activation: ActivationFunction.Relu)),
        ["conv1d_same_strided"] = () => Chain([9, 3], new Conv1D(4, 4, strides: 2, padding: Padding.Same)),
        ["conv1d_causal_dilated_no_bias"] = () => Chain([9, 3], new Conv1D(4, 3, padding: Padding.Causal, dilationRate: 2, useBias: false, activation: new Gelu())),
        ["conv1d_same_dilated"] = () => Chain([8, 2], new Conv1D(3, 3, padding: Padding.Same, dilationRate: 3)),
        ["max_pooling1d"] = () => Chain([9, 3], new MaxPooling1D(2)),
        ["max_pooling1d_same"] = () => Chain([9, 3], new MaxPooling1D(3, 2, Padding.Same)),
        ["average_pooling1d_same"] = () => Chain([9, 3], new AveragePooling1D(2, padding: Padding.Same)),
        ["global_pooling_1d"] = () => TwoInputs([6, 3], [6, 3], (a, b) => new Concatenate().Call(new GlobalMaxPooling1D().Call(a), new GlobalAveragePooling1D().Call(b))),
        ["global_max_pooling2d"] = () => Chain([5, 6, 3], new Conv2D(4, 3), new GlobalMaxPooling2D()),
        ["text_cnn"] = () => Chain([10], new Embedding(20, 6), new Conv1D(8, 3, activation: ActivationFunction.Relu), new MaxPooling1D(2), new Conv1D(8, 3, padding: Padding.Causal), new GlobalMaxPooling1D(), new Dense(2, ActivationFunction.Softmax)),
        ["rescaling_images"] = () => Chain([6, 5, 3], new Rescaling(1f / 255)),
        ["rescaling_offset_after_conv"] = () => Chain([6, 5, 2], new Conv2D(3, 3), new Rescaling(1f / 127.5f, -1f), new Flatten(), new Dense(2)),
        ["rescaling_offset_sequences"] = () => Chain([4, 5], new Rescaling(2.5f, 0.25f), new Dense(3)),
        // A factor per channel (Keras' EfficientNet fix): after a convolution the value is channels-first in the graph.
        ["rescaling_per_channel_after_conv"] = () => Chain([6, 5, 2], new Conv2D(3, 3), new Rescaling([0.5f, 2f, -1.5f], 0.25f), new Flatten(), new Dense(2)),
        ["rescaling_per_channel_images"] = () => Chain([6, 5, 3], new Rescaling([1f / MathF.Sqrt(0.229f), 1f / MathF.Sqrt(0.224f), 1f / MathF.Sqrt(0.225f)])),
        // Element-wise layers on the input before the first convolution (Keras' image tutorials start with Rescaling): the
        // exporter's Transpose comes after them; a cube-shaped input would import with its axes taken in another order.
        ["rescaling_then_conv_cube_input"] = () => Chain([8, 8, 8], new Rescaling(1f / 255), new Conv2D(3, 3), new Flatten(), new Dense(2)),
        ["rescaling_per_channel_then_conv"] = () => Chain([6, 5, 3], new Rescaling([0.5f, 2f, -1.5f], 0.25f), new Conv2D(4, 3), new GlobalAveragePooling2D()),
        ["normalization_then_conv"] = () => Chain([6, 5, 3], new Normalization(), new Conv2D(4, 3, activation: ActivationFunction.Relu), new GlobalMaxPooling2D()),
        ["operations_after_conv"] = () => Chain([6, 5, 2], new Conv2D(3, 3), new ElementwiseMath(ElementwiseFunction.Abs), new ScalarArithmetic(ArithmeticOperator.Add, 0.5f),
            new ElementwiseMath(ElementwiseFunction.Sqrt), new ScalarArithmetic(ArithmeticOperator.Divide, 2f, constantFirst: true), new ElementwiseMath(ElementwiseFunction.Log),
            new Reduce(Reduction.Mean, [1, 2]), new Dense(2)),
        ["operations_sequences"] = () => Chain([4, 5], new ElementwiseMath(ElementwiseFunction.Square), new ScalarArithmetic(ArithmeticOperator.Subtract, 1f, constantFirst: true),
            new ElementwiseMath(ElementwiseFunction.Exp), new ElementwiseMath(ElementwiseFunction.Negative), new ScalarArithmetic(ArithmeticOperator.Multiply, 0.5f),
            new Reduce(Reduction.Max, [-1], keepDims: true), new Reduce(Reduction.Min, [1])),
        ["operations_sum_keepdims"] = () => Chain([3, 4, 2], new ScalarArithmetic(ArithmeticOperator.Subtract, 0.25f), new Reduce(Reduction.Sum, [2], keepDims: true), new Flatten(), new Dense(2)),
        ["operations_steps"] = () => Chain([4, 5], new ScalarArithmetic(ArithmeticOperator.Multiply, 3f), new ElementwiseMath(ElementwiseFunction.Round),
            new ScalarArithmetic(ArithmeticOperator.Maximum, -1f), new ElementwiseMath(ElementwiseFunction.Floor), new ElementwiseMath(ElementwiseFunction.Sign)),
        ["operations_smooth"] = () => Chain([4, 5], new ElementwiseMath(ElementwiseFunction.Sin), new ScalarArithmetic(ArithmeticOperator.Power, 3f), new ElementwiseMath(ElementwiseFunction.Cos),
            new ElementwiseMath(ElementwiseFunction.Erf), new ScalarArithmetic(ArithmeticOperator.Minimum, 0.7f, constantFirst: true), new ScalarArithmetic(ArithmeticOperator.Power, 2f, constantFirst: true),
            new Clip(0.8f, 1.5f), new Dense(2)),
        ["divide_broadcast"] = () => TwoInputs([3, 4], [1, 4], (a, b) => new Divide().Call(a, new ScalarArithmetic(ArithmeticOperator.Add, 1f).Call(new ElementwiseMath(ElementwiseFunction.Abs).Call(b)))),
        ["where_broadcast"] = () => TwoInputs([3, 4], [1, 4], (a, b) => new Where().Call(new ElementwiseMath(ElementwiseFunction.Round).Call(a), a, b)),
        ["where_numbers"] = () => TwoInputs([3, 4], [3, 4], (a, b) =>
        {
            SymbolicTensor condition = new ElementwiseMath(ElementwiseFunction.Round).Call(a);
            return new Add().Call(new Where(null, -5f).Call(condition, b), new Where(0.5f, null).Call(condition, a), new Where(1f, 0f).Call(condition));
        }),
        ["comparisons_broadcast"] = () => TwoInputs([3, 4], [1, 4], (a, b) =>
        {
            // Rounded values tie often, so Equal, GreaterEqual and LessEqual meet equal operands.
            SymbolicTensor x = new ElementwiseMath(ElementwiseFunction.Round).Call(a), y = new ElementwiseMath(ElementwiseFunction.Round).Call(b);
            SymbolicTensor[] holds = [.. new[] { ComparisonOperator.Greater, ComparisonOperator.GreaterEqual, ComparisonOperator.Less, ComparisonOperator.LessEqual,
                ComparisonOperator.Equal, ComparisonOperator.NotEqual, ComparisonOperator.LogicalAnd, ComparisonOperator.LogicalOr }.Select(op => new Comparison(op).Call(x, y)),
                new Comparison(ComparisonOperator.Less, 0.2f).Call(a), new Comparison(ComparisonOperator.GreaterEqual, 0f).Call(x), new Comparison(ComparisonOperator.LogicalNot).Call(x)];
            return new Concatenate().Call(holds);
        }),
        ["comparisons_of_nan"] = () => TwoInputs([3, 4], [1, 4], (a, b) =>
        {
            // Log of the negative normal draws is NaN: >= and <= (Or(Greater, Equal) and Or(Less, Equal) in ONNX) must be
            // false there, as every ordered comparison with NaN is, and != true.
            SymbolicTensor x = new ElementwiseMath(ElementwiseFunction.Log).Call(a), y = new ElementwiseMath(ElementwiseFunction.Log).Call(b);
            SymbolicTensor[] holds = [.. new[] { ComparisonOperator.Greater, ComparisonOperator.GreaterEqual, ComparisonOperator.Less, ComparisonOperator.LessEqual,
                ComparisonOperator.Equal, ComparisonOperator.NotEqual }.Select(op => new Comparison(op).Call(x, y)),
                new Comparison(ComparisonOperator.GreaterEqual, 0f).Call(x), new Comparison(ComparisonOperator.LessEqual, 0f).Call(x), new Comparison(ComparisonOperator.LogicalNot).Call(x)];
            return new Concatenate().Call(holds);
        }),
        ["split_and_unstack_pieces_read_by_different_layers"] = () => TwoInputs([4, 6], [4, 6], (a, b) =>
        {
            SymbolicTensor[] thirds = new Split(3, -1).CallOutputs(new Conv1D(6, 1).Call(a));
            SymbolicTensor[] cut = new Split([1, 3], 1).CallOutputs(b);
            SymbolicTensor[] steps = new Unstack(1).CallOutputs(cut[1]);
            return new Concatenate().Call(new Flatten().Call(new Multiply().Call(thirds[2], thirds[0])), steps[1], new Flatten().Call(cut[2]));
        }),
        ["dot_matmul"] = () => TwoInputs([3, 5], [5, 4], (a, b) => new Dot((2, 1)).Call(a, b)),
        ["matmul_heads"] = () => TwoInputs([2, 3, 5], [2, 5, 4], (a, b) => new MatMul().Call(a, b)),
        ["stack_middle_and_last"] = () => TwoInputs([3, 4], [3, 4], (a, b) => new Stack(-1).Call(new Stack(2).Call(a, b), new Stack(2).Call(b, a))),
        ["stack_after_convolution"] = () => TwoInputs([5, 4, 2], [5, 4, 2], (a, b) => new Stack(1).Call(new Conv2D(3, 3, padding: Padding.Same).Call(a), new Conv2D(3, 1).Call(b))),
        ["matmul_broadcast_heads"] = () => TwoInputs([1, 3, 5], [2, 5, 4], (a, b) => new MatMul().Call(a, b)),
        ["softmax_and_log_softmax_over_axis_1"] = () => Chain([3, 4], new Layers.Softmax(axis: 1), new Dense(5), new Layers.LogSoftmax(axis: -2)),
        ["log_softmax_over_image_width_axis_2"] = () => Chain([4, 5, 3], new Conv2D(2, 3, padding: Padding.Same), new Layers.LogSoftmax(axis: 2)),
        ["softmax_over_image_channels_axis_3"] = () => Chain([4, 5, 3], new Conv2D(2, 3, padding: Padding.Same), new Layers.Softmax(axis: 3)),
        ["softmax_over_image_height_axis_1"] = () => Chain([4, 5, 3], new Conv2D(2, 3, padding: Padding.Same), new Layers.Softmax(axis: 1)),
        ["augmentation_identity"] = () => Chain([7, 8, 3], new RandomFlip(), new RandomRotation(0.2), new RandomZoom(0.1), new RandomTranslation(0.1, 0.2),
            new RandomContrast(0.3), new RandomBrightness(0.2), new Conv2D(4, 3), new RandomFlip(FlipMode.Vertical), new RandomContrast(0.5), new Flatten(), new Dense(3)),
        ["augmentation_straight_to_output"] = () => Chain([5, 6, 2], new RandomZoom(0.2), new RandomRotation(0.1)),
        ["color_augmentation_straight_to_output"] = () => Chain([4, 4, 3], new RandomSaturation(0.2), new RandomHue(0.1, (0, 255))),
        ["color_augmentation_identity"] = () => Chain([6, 5, 3], new RandomGrayscale(), new RandomSaturation(0.5, (0, 1)), new RandomHue(0.3, (0, 1)), new RandomColorDegeneration(0.5),
            new RandomInvert(), new Solarization(0.2, 0.5), new RandomPosterization(4), new RandomSharpness(0.6), new Conv2D(3, 3), new RandomInvert(0.5, (0, 1)), new Solarization(),
            new RandomHue((0.1, 0.2), (-1, 1)), new Flatten(), new Dense(2)),
        ["erasing_blur_jitter_identity"] = () => Chain([6, 5, 3], new RandomErasing(), new RandomGaussianBlur(), new RandomColorJitter(brightnessFactor: (-0.1, 0.1), saturationFactor: (0.2, 0.8), hueFactor: (0, 0.2)),
            new Conv2D(3, 3), new RandomErasing((1, 1), (0.1, 0.5), fillValue: 0, valueRange: (-1, 1)), new RandomGaussianBlur(0.5, 5, valueRange: (-1, 1)), new RandomColorJitter((-1, 1), contrastFactor: (0.2, 0.2)), new Flatten(), new Dense(2)),
        ["mix_up_cut_mix_identity"] = () => Chain([6, 5, 3], new MixUp(), new CutMix(), new Conv2D(3, 3), new MixUp(1.0, seed: 2), new CutMix((0.5, 1), seed: 3), new Flatten(), new Dense(2)),
        ["mix_up_cut_mix_straight_to_output"] = () => Chain([4, 4, 3], new CutMix(0.5), new MixUp(0.3)),
        ["shear_perspective_equalization_identity"] = () => Chain([6, 5, 3], new RandomShear(0.3, 0.2), new RandomPerspective(scale: 0.4), new Equalization((0, 1), 64),
            new Conv2D(3, 3), new RandomShear((0.1, 0.5), (0, 0.2), fillMode: FillMode.Constant), new RandomPerspective((1, 1)), new Equalization(), new Flatten(), new Dense(2)),
        ["elastic_transform_identity"] = () => Chain([6, 5, 3], new RandomElasticTransform(), new Conv2D(3, 3),
            new RandomElasticTransform((1, 1), (0.5, 2), Interpolation.Nearest, FillMode.Constant, valueRange: (-1, 1), seed: 3), new Flatten(), new Dense(2)),
        ["elastic_transform_straight_to_output"] = () => Chain([4, 4, 2], new RandomElasticTransform(0.5, 0.5)),
        ["equalization_straight_to_output"] = () => Chain([4, 4, 2], new RandomPerspective(0.5), new Equalization()),
        ["color_jitter_straight_to_output"] = () => Chain([4, 4, 3], new RandomColorJitter((0, 1), (-0.2, 0.2), (0.1, 0.3), (0.3, 0.7), (0, 0.3))),
        ["rand_augment_identity"] = () => Chain([6, 5, 3], new RandAugment(), new Conv2D(3, 3), new RandAugment((-1, 1), 3, (0.1, 0.9), Interpolation.Nearest, seed: 4), new Flatten(), new Dense(2)),
        ["rand_augment_straight_to_output"] = () => Chain([4, 4, 3], new RandAugment((0, 1), 1, 0.8)),
        ["aug_mix_identity"] = () => Chain([6, 5, 3], new AugMix(), new Conv2D(3, 3), new AugMix((-1, 1), 2, 4, (0.1, 0.9), 0.5, false, Interpolation.Nearest, 4), new Flatten(), new Dense(2)),
        ["auto_contrast"] = () => Chain([6, 5, 3], new AutoContrast()),
        ["auto_contrast_unit_range_after_conv"] = () => Chain([6, 5, 2], new Conv2D(3, 3), new AutoContrast((1, 0)), new Conv2D(2, 2), new Flatten(), new Dense(2)),
        ["auto_contrast_offset_range_sequence"] = () => Chain([6, 5, 2], new AutoContrast((-3, 2)), new Flatten(), new Dense(3)),
        ["stft_log_valid_defaults"] = () => Chain([64, 1], new StftSpectrogram(frameLength: 16)),
        ["stft_magnitude_same_hamming_two_channels"] = () => Chain([50, 2], new StftSpectrogram(SpectrogramMode.Magnitude, 12, frameStep: 5, fftLength: 16, window: SpectralWindow.Hamming, padding: Padding.Same)),
        ["stft_psd_blackman_spectrum_periodic_expand_dims_then_conv2d"] = () => Chain([40, 3],
            new StftSpectrogram(SpectrogramMode.Psd, 10, 4, 12, SpectralWindow.Blackman, periodic: true, scaling: SpectrogramScaling.Spectrum, expandDims: true), new Conv2D(2, 2)),
        ["stft_real_same_no_window_no_scaling"] = () => Chain([33, 2],
            new StftSpectrogram(SpectrogramMode.Real, 8, 3, window: SpectralWindow.None, scaling: SpectrogramScaling.None, padding: Padding.Same), new Flatten(), new Dense(3)),
        ["stft_imag_expand_dims_step_is_length"] = () => Chain([30, 1], new StftSpectrogram(SpectrogramMode.Imag, 8, 8, expandDims: true)),
        ["stft_angle_same_two_channels"] = () => Chain([37, 2], new StftSpectrogram(SpectrogramMode.Angle, 9, 4, padding: Padding.Same)),
        ["stft_real_and_imag_two_channels"] = () => Chain([45, 2], new StftSpectrogram(SpectrogramMode.Stft, 16, 6, 20)),
        ["stft_real_and_imag_same_expand_dims"] = () => Chain([29, 2], new StftSpectrogram(SpectrogramMode.Stft, 8, 3, padding: Padding.Same, expandDims: true, periodic: true)),
        ["mel_db_hann"] = () => Chain([200], new MelSpectrogram(64, 16, samplingRate: 8000, numMelBins: 8)),
        ["mel_db_hamming_short_window_reference_top_db"] = () => Chain([150], new MelSpectrogram(48, 20, sequenceLength: 33, window: SpectralWindow.Hamming,
            samplingRate: 11025, numMelBins: 10, minFreq: 100, maxFreq: 4000, topDb: 20, minPower: 1e-3, refPower: -2.5)),
        ["mel_magnitude_odd_fft_no_window"] = () => Chain([100], new MelSpectrogram(31, 7, window: SpectralWindow.None, samplingRate: 4000, numMelBins: 6, powerToDb: false, magExp: 1)),
        ["mel_power_1_5_db_then_conv1d"] = () => Chain([120], new MelSpectrogram(32, 10, sequenceLength: 20, samplingRate: 16000, numMelBins: 12, magExp: 1.5),
            new Permute(2, 1), new Conv1D(3, 2)),
        ["resizing_bilinear_down"] = () => Chain([9, 10, 3], new Resizing(5, 7)),
        ["resizing_bilinear_up_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2, padding: Padding.Same), new Resizing(8, 11), new Conv2D(2, 3), new Flatten(), new Dense(2)),
        ["resizing_nearest"] = () => Chain([9, 10, 3], new Resizing(4, 13, Interpolation.Nearest)),
        ["resizing_nearest_after_conv"] = () => Chain([7, 6, 2], new Conv2D(3, 2), new Resizing(11, 3, Interpolation.Nearest)),
        ["resizing_whole_rows"] = () => Chain([9, 6, 2], new Resizing(3, 2)),
        ["resizing_crop_to_aspect_ratio"] = () => Chain([9, 12, 2], new Resizing(5, 5, cropToAspectRatio: true)),
        ["resizing_crop_to_aspect_ratio_nearest"] = () => Chain([7, 12, 2], new Resizing(4, 6, Interpolation.Nearest, cropToAspectRatio: true)),
        ["resizing_crop_to_aspect_ratio_only"] = () => Chain([9, 12, 2], new Resizing(9, 9, cropToAspectRatio: true)),
        ["resizing_pad_to_aspect_ratio_only"] = () => Chain([6, 4, 2], new Resizing(6, 6, padToAspectRatio: true, fillValue: 0.5)),
        ["resizing_pad_width_to_aspect_ratio"] = () => Chain([8, 3, 2], new Resizing(4, 5, padToAspectRatio: true, fillValue: -0.25)),
        ["resizing_pad_height_to_aspect_ratio_nearest_after_conv"] = () => Chain([4, 9, 2], new Conv2D(3, 2), new Resizing(5, 4, Interpolation.Nearest, padToAspectRatio: true, fillValue: 2)),
        ["resizing_bicubic_down"] = () => Chain([9, 10, 3], new Resizing(5, 7, Interpolation.Bicubic)),
        ["resizing_bicubic_up_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2, padding: Padding.Same), new Resizing(8, 11, Interpolation.Bicubic), new Conv2D(2, 3), new Flatten(), new Dense(2)),
        ["resizing_lanczos3_crop_to_aspect_ratio"] = () => Chain([9, 12, 2], new Resizing(5, 5, Interpolation.Lanczos3, cropToAspectRatio: true)),
        ["resizing_lanczos5_pad_to_aspect_ratio_after_conv"] = () => Chain([4, 9, 2], new Conv2D(3, 2), new Resizing(5, 4, Interpolation.Lanczos5, padToAspectRatio: true, fillValue: 2)),
        ["resizing_area_down"] = () => Chain([9, 10, 3], new Resizing(4, 7, Interpolation.Area)),
        ["resizing_area_up_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2), new Resizing(7, 9, Interpolation.Area)),
        ["resizing_antialias_lanczos3_down"] = () => Chain([9, 10, 3], new Resizing(3, 4, Interpolation.Lanczos3, antialias: true)),
        ["resizing_antialias_bilinear_down_after_conv"] = () => Chain([9, 10, 2], new Conv2D(3, 2), new Resizing(3, 5, antialias: true), new Conv2D(2, 2)),
        ["resizing_antialias_bicubic_rows_only"] = () => Chain([9, 4, 2], new Resizing(4, 4, Interpolation.Bicubic, antialias: true)),
        ["center_crop"] = () => Chain([9, 10, 3], new CenterCrop(5, 6)),
        ["center_crop_rows_after_conv"] = () => Chain([9, 10, 2], new Conv2D(3, 3), new CenterCrop(4, 8), new Conv2D(2, 3)),
        ["center_crop_of_a_smaller_image"] = () => Chain([5, 6, 2], new CenterCrop(7, 4)),
        ["random_crop_inference"] = () => Chain([9, 12, 3], new RandomCrop(6, 6)),
        ["random_crop_inference_same_aspect_after_conv"] = () => Chain([10, 10, 2], new Conv2D(3, 3), new RandomCrop(6, 6), new Flatten(), new Dense(2)),
        ["random_crop_of_the_target_size"] = () => Chain([6, 5, 2], new RandomCrop(6, 5), new Conv2D(2, 3)),
        ["zero_padding2d_each_side"] = () => Chain([5, 6, 2], new ZeroPadding2D(((1, 2), (3, 0)))),
        ["zero_padding2d_after_conv"] = () => Chain([5, 6, 2], new Conv2D(3, 2), new ZeroPadding2D(), new Conv2D(2, 3)),
        ["zero_padding2d_nothing"] = () => Chain([4, 5, 2], new ZeroPadding2D(0), new Conv2D(2, 3)),
        ["cropping2d_each_side"] = () => Chain([9, 8, 3], new Cropping2D(((1, 3), (2, 0)))),
        ["cropping2d_after_conv"] = () => Chain([9, 8, 2], new Conv2D(3, 2), new Cropping2D((2, 1)), new Flatten(), new Dense(2)),
        ["cropping2d_nothing"] = () => Chain([4, 5, 2], new Cropping2D()),
        ["up_sampling2d_nearest"] = () => Chain([4, 5, 3], new UpSampling2D((2, 3))),
        ["up_sampling2d_nearest_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2), new UpSampling2D(), new Conv2D(2, 3)),
        ["up_sampling2d_bilinear"] = () => Chain([4, 5, 3], new UpSampling2D(3, Interpolation.Bilinear)),
        ["up_sampling2d_bilinear_rows_only_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2), new UpSampling2D((2, 1), Interpolation.Bilinear), new Conv2D(2, 3)),
        ["up_sampling2d_bicubic"] = () => Chain([4, 5, 3], new UpSampling2D(3, Interpolation.Bicubic)),
        ["up_sampling2d_lanczos3"] = () => Chain([4, 5, 2], new UpSampling2D((2, 3), Interpolation.Lanczos3)),
        ["up_sampling2d_area"] = () => Chain([4, 5, 2], new UpSampling2D((3, 2), Interpolation.Area)),
        ["up_sampling2d_lanczos5_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2), new UpSampling2D((1, 2), Interpolation.Lanczos5), new Conv2D(2, 3)),
        ["layer_norm_features"] = () => Chain([8], new Dense(6), new LayerNormalization()),
        ["layer_norm_sequences_no_center"] = () => Chain([4, 5], new LayerNormalization(epsilon: 0.01f, center: false)),
        ["layer_norm_channels_after_conv"] = () => Chain([6, 5, 2], new Conv2D(4, 3), new LayerNormalization(), new Conv2D(2, 1)),
        ["layer_norm_whole_image_after_conv"] = () => Chain([6, 5, 2], new Conv2D(3, 2), new LayerNormalization([1, 2, 3])),
        ["layer_norm_middle_axis_no_scale"] = () => Chain([4, 5, 3], new LayerNormalization(2, scale: false)),
        ["layer_norm_axes_unsorted"] = () => Chain([4, 5, 3], new LayerNormalization([3, 1])),
        ["unit_norm_features"] = () => Chain([8], new Dense(6), new UnitNormalization()),
        ["unit_norm_channels_after_conv"] = () => Chain([5, 6, 2], new Conv2D(3, 2), new UnitNormalization()),
        ["unit_norm_axes"] = () => Chain([4, 5, 3], new UnitNormalization([1, 2])),
        ["group_norm_after_conv"] = () => Chain([5, 6, 2], new Conv2D(6, 2), new GroupNormalization(groups: 3)),
        ["group_norm_instance_input_no_center"] = () => Chain([5, 4, 4], new GroupNormalization(groups: -1, center: false)),
        ["group_norm_one_group_no_scale"] = () => Chain([5, 4, 4], new GroupNormalization(groups: 1, scale: false)),
        ["group_norm_sequences_axis1"] = () => Chain([6, 4], new GroupNormalization(groups: 2, axis: 1, epsilon: 0.1f)),
        ["prelu_features"] = () => Chain([8], new Dense(6), new PReLU()),
        ["prelu_per_channel_after_conv"] = () => Chain([5, 6, 2], new Conv2D(3, 2), new PReLU(sharedAxes: [1, 2]), new Conv2D(2, 1)),
        ["prelu_per_pixel_after_conv"] = () => Chain([5, 6, 2], new Conv2D(3, 2), new PReLU()),
        ["prelu_sequences_shared_steps"] = () => Chain([4, 5], new PReLU(sharedAxes: [1])),
        ["depthwise_valid_relu"] = () => Chain([7, 8, 3], new DepthwiseConv2D(3, activation: ActivationFunction.Relu)),
        ["depthwise_same_strided_multiplier_no_bias"] = () => Chain([9, 8, 2], new DepthwiseConv2D((3, 2), (2, 1), Padding.Same, depthMultiplier: 3, useBias: false)),
        ["depthwise_same_dilated_after_conv"] = () => Chain([9, 8, 2], new Conv2D(3, 1), new DepthwiseConv2D(3, padding: Padding.Same, depthMultiplier: 2, dilationRate: 2, activation: ActivationFunction.Tanh)),
        ["separable_valid_relu"] = () => Chain([7, 8, 3], new SeparableConv2D(4, 3, activation: ActivationFunction.Relu)),
        ["separable_same_strided_multiplier_no_bias"] = () => Chain([9, 8, 2], new SeparableConv2D(5, 3, strides: 2, padding: Padding.Same, depthMultiplier: 2, useBias: false, activation: ActivationFunction.Sigmoid)),
        ["separable_same_dilated_even_kernel"] = () => Chain([9, 10, 3], new SeparableConv2D(3, (2, 4), padding: Padding.Same, dilationRate: (2, 1)), new Flatten(), new Dense(2)),
        ["conv_transpose_valid"] = () => Chain([4, 5, 3], new Conv2DTranspose(4, 3)),
        ["conv_transpose_same_strided_relu"] = () => Chain([4, 5, 3], new Conv2DTranspose(3, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu)),
        ["conv_transpose_same_even_kernel_after_conv"] = () => Chain([5, 4, 2], new Conv2D(3, 2), new Conv2DTranspose(2, 4, strides: 2, padding: Padding.Same), new Conv2D(2, 3)),
        ["conv_transpose_stride_over_kernel"] = () => Chain([4, 3, 2], new Conv2DTranspose(3, 2, strides: 3)),
        ["conv_transpose_output_padding_no_bias"] = () => Chain([4, 5, 2], new Conv2DTranspose(3, (3, 2), (2, 3), Padding.Valid, outputPadding: (1, 2), useBias: false)),
        ["conv_transpose_same_output_padding"] = () => Chain([4, 5, 2], new Conv2DTranspose(2, 3, strides: 2, padding: Padding.Same, outputPadding: 1)),
        ["conv_transpose_dilated_same"] = () => Chain([5, 4, 2], new Conv2DTranspose(3, (3, 2), padding: Padding.Same, dilationRate: (2, 3), activation: ActivationFunction.Tanh)),
        ["depthwise_conv1d_valid_relu"] = () => Chain([9, 3], new DepthwiseConv1D(3, activation: ActivationFunction.Relu)),
        ["depthwise_conv1d_same_strided_multiplier_no_bias"] = () => Chain([10, 2], new DepthwiseConv1D(4, strides: 3, padding: Padding.Same, depthMultiplier: 3, useBias: false)),
        ["depthwise_conv1d_same_dilated_after_conv"] = () => Chain([9, 2], new Conv1D(3, 1), new DepthwiseConv1D(3, padding: Padding.Same, depthMultiplier: 2, dilationRate: 2, activation: ActivationFunction.Tanh)),
        ["separable_conv1d_valid_relu"] = () => Chain([9, 3], new SeparableConv1D(4, 3, activation: ActivationFunction.Relu)),
        ["separable_conv1d_same_strided_multiplier_no_bias"] = () => Chain([9, 2], new SeparableConv1D(5, 3, strides: 2, padding: Padding.Same, depthMultiplier: 2, useBias: false, activation: ActivationFunction.Sigmoid)),
        ["separable_conv1d_same_dilated_even_kernel"] = () => Chain([10, 3], new SeparableConv1D(3, 4, padding: Padding.Same, dilationRate: 2), new Flatten(), new Dense(2)),
        ["conv1d_transpose_valid"] = () => Chain([5, 3], new Conv1DTranspose(4, 3)),
        ["conv1d_transpose_same_strided_relu"] = () => Chain([5, 3], new Conv1DTranspose(3, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu)),
        ["conv1d_transpose_same_even_kernel_after_conv"] = () => Chain([6, 2], new Conv1D(3, 2), new Conv1DTranspose(2, 4, strides: 2, padding: Padding.Same), new Conv1D(2, 3)),
        ["conv1d_transpose_stride_over_kernel"] = () => Chain([4, 2], new Conv1DTranspose(3, 2, strides: 3)),
        ["conv1d_transpose_output_padding_no_bias"] = () => Chain([4, 2], new Conv1DTranspose(3, 3, strides: 3, outputPadding: 2, useBias: false)),
        ["conv1d_transpose_same_output_padding"] = () => Chain([5, 2], new Conv1DTranspose(2, 3, strides: 2, padding: Padding.Same, outputPadding: 1)),
        ["conv1d_transpose_dilated_same"] = () => Chain([5, 2], new Conv1DTranspose(3, 3, padding: Padding.Same, dilationRate: 2, activation: ActivationFunction.Tanh)),
        ["normalization_adapted_features"] = () => Chain([6], new Normalization(), new Dense(3)),
        ["normalization_channels_after_conv"] = () => Chain([5, 6, 2], new Conv2D(3, 2), new Normalization()),
        ["normalization_rows_of_images"] = () => Chain([4, 5, 3], new Normalization([1])),
        ["normalization_given_inverted"] = () => Chain([4, 3], new Normalization(mean: [0.5f, -1f, 2f], variance: [4f, 0.25f, 0f], invert: true)),
        ["normalization_given_one_value_for_all"] = () => Chain([4, 5, 2], new Conv2D(3, 2), new Normalization(axis: null, mean: [0.25f], variance: [2.5f])),
        ["conv3d_valid_relu"] = () => Chain([5, 6, 7, 2], new Conv3D(3, (2, 3, 2), activation: ActivationFunction.Relu)),
        ["conv3d_same_per_axis_strides_no_bias"] = () => Chain([7, 6, 9, 2], new Conv3D(4, (3, 2, 3), strides: (2, 1, 3), padding: Padding.Same, useBias: false)),
        ["conv3d_same_dilated_even_kernel_softmax"] = () => Chain([7, 8, 6, 3], new Conv3D(3, (2, 3, 4), padding: Padding.Same, dilationRate: (2, 1, 2), activation: ActivationFunction.Softmax)),
        ["conv3d_valid_dilated_per_axis_then_conv3d"] = () => Chain([7, 6, 5, 2], new Conv3D(3, (3, 3, 3), dilationRate: (3, 2, 1), activation: new Gelu()), new Conv3D(2, 1)),
        ["conv3d_valid_strided_odd_sizes_then_flatten"] = () => Chain([5, 7, 6, 1], new Conv3D(2, (3, 3, 2), strides: (2, 3, 2)), new Flatten(), new Dense(3)),
        ["conv3d_transpose_valid"] = () => Chain([3, 4, 3, 2], new Conv3DTranspose(3, (2, 3, 2))),
        ["conv3d_transpose_same_per_axis_strides_relu"] = () => Chain([3, 4, 2, 2], new Conv3DTranspose(2, (3, 2, 3), strides: (2, 1, 3), padding: Padding.Same, activation: ActivationFunction.Relu)),
        ["conv3d_transpose_stride_over_kernel"] = () => Chain([2, 3, 3, 2], new Conv3DTranspose(2, (2, 2, 2), strides: (3, 1, 2))),
        ["conv3d_transpose_output_padding_no_bias"] = () => Chain([3, 2, 3, 2], new Conv3DTranspose(3, (3, 2, 2), (2, 3, 2), Padding.Valid, outputPadding: (1, 2, 0), useBias: false)),
        ["conv3d_transpose_same_output_padding"] = () => Chain([3, 3, 2, 2], new Conv3DTranspose(2, (3, 2, 3), (2, 2, 3), Padding.Same, outputPadding: (1, 0, 2))),
        ["conv3d_transpose_dilated_same_tanh"] = () => Chain([4, 3, 5, 2], new Conv3DTranspose(3, (3, 2, 2), padding: Padding.Same, dilationRate: (2, 1, 3), activation: ActivationFunction.Tanh)),
        ["conv3d_transpose_dilated_valid_gelu"] = () => Chain([3, 4, 2, 2], new Conv3DTranspose(2, (2, 3, 2), dilationRate: (3, 2, 1), activation: new Gelu())),
        ["conv3d_transpose_after_conv3d"] = () => Chain([4, 5, 4, 2], new Conv3D(3, 2), new Conv3DTranspose(2, (2, 3, 2), strides: (2, 2, 2), padding: Padding.Same, activation: ActivationFunction.Softmax), new Conv3D(2, 1)),
        ["rms_norm_features"] = () => Chain([8], new Dense(6), new RMSNormalization()),
        ["rms_norm_two_trailing_axes"] = () => Chain([4, 5, 3], new RMSNormalization([2, 3], epsilon: 1e-3f)),
        ["rms_norm_sequences_large_epsilon"] = () => Chain([4, 5], new RMSNormalization(epsilon: 0.5f), new Dense(2)),
        ["rms_norm_channels_after_conv"] = () => Chain([6, 5, 2], new Conv2D(4, 3), new RMSNormalization(), new Conv2D(2, 1)),
        ["rms_norm_width_and_channels_after_conv"] = () => Chain([6, 5, 2], new Conv2D(3, 2), new RMSNormalization([-2, -1])),
        ["rms_norm_channels_after_conv3d"] = () => Chain([4, 5, 3, 2], new Conv3D(3, 2), new RMSNormalization(), new Conv3D(2, 1)),
        ["rms_norm_whole_volume_after_conv3d"] = () => Chain([4, 5, 3, 2], new Conv3D(3, 2), new RMSNormalization([1, 2, 3, 4])),
        ["rms_norm_large_values"] = () => Chain([6, 4], new Rescaling(3e4f), new RMSNormalization(), new Rescaling(1e-3f, name: "tiny"), new RMSNormalization()),
        ["max_pooling3d_valid_after_conv3d"] = () => Chain([6, 7, 5, 2], new Conv3D(3, 2), new MaxPooling3D(2)),
        ["max_pooling3d_same_per_axis_strides"] = () => Chain([5, 7, 6, 3], new MaxPooling3D((2, 3, 2), (1, 2, 3), Padding.Same)),
        ["average_pooling3d_valid_strided"] = () => Chain([5, 6, 7, 2], new AveragePooling3D((3, 2, 3), (2, 2, 1))),
        ["average_pooling3d_same_padding_not_counted"] = () => Chain([5, 7, 6, 2], new AveragePooling3D((3, 2, 3), (2, 2, 1), Padding.Same)),
        ["average_pooling3d_same_after_conv3d"] = () => Chain([5, 5, 4, 2], new Conv3D(3, 2, padding: Padding.Same), new AveragePooling3D(3, 2, Padding.Same), new Conv3D(2, 1)),
        ["global_max_pooling3d_after_conv3d"] = () => Chain([4, 5, 6, 2], new Conv3D(3, 2), new GlobalMaxPooling3D(), new Dense(2)),
        ["global_pooling3d_of_inputs"] = () => TwoInputs([3, 5, 4, 3], [4, 3, 5, 3], (a, b) => new Concatenate().Call(new GlobalMaxPooling3D().Call(a), new GlobalAveragePooling3D().Call(b))),
        ["bidirectional_lstm_from_initial_states_sequences"] = () => BidirectionalFromStates(new Bidirectional(new Lstm(3, returnSequences: true)), [3, 3], [3, 3]),
        ["bidirectional_lstm_gru_none_from_initial_states_return_state"] = () => BidirectionalFromStates(
            new Bidirectional(new Lstm(3) { ReturnState = true }, BidirectionalMergeMode.None, new Gru(2, goBackwards: true) { ReturnState = true }), [3, 3], [2]),
        ["conv_lstm2d_valid_then_dense"] = () => Chain([4, 6, 6, 2], new ConvLstm2D(3, 3), new Flatten(), new Dense(2)),
        ["conv_lstm2d_same_even_kernel_sequences_backwards"] = () => Chain([4, 5, 6, 2], new ConvLstm2D(2, (3, 2), padding: Padding.Same, returnSequences: true, goBackwards: true)),
        ["conv_lstm2d_relu_hard_sigmoid_no_bias"] = () => Chain([3, 5, 5, 1], new ConvLstm2D(2, 2, activation: ActivationFunction.Relu, recurrentActivation: ActivationFunction.HardSigmoid, useBias: false), new GlobalAveragePooling2D()),
        ["conv_lstm2d_softmax_over_filters_returns_sequences"] = () => Chain([3, 4, 5, 2], new ConvLstm2D(3, 2, padding: Padding.Same, activation: ActivationFunction.Softmax, returnSequences: true)),
        ["conv_lstm1d_log_softmax_gates"] = () => Chain([4, 6, 2], new ConvLstm1D(3, 2, recurrentActivation: ActivationFunction.LogSoftmax)),
        ["conv_lstm1d_strided_same"] = () => Chain([5, 9, 2], new ConvLstm1D(3, 3, strides: 2, padding: Padding.Same)),
        ["conv_lstm1d_dilated_sequences_then_dense"] = () => Chain([5, 9, 2], new ConvLstm1D(2, 2, dilationRate: 2, returnSequences: true), new Dense(2)),
        ["conv_lstm3d_same_then_pooling"] = () => Chain([3, 4, 5, 4, 1], new ConvLstm3D(2, 2, padding: Padding.Same), new GlobalAveragePooling3D(), new Dense(2)),
        ["conv_lstm3d_strided_backwards_sequences"] = () => Chain([3, 4, 5, 5, 2], new ConvLstm3D(2, (1, 2, 3), strides: (1, 2, 2), goBackwards: true, returnSequences: true)),
        ["conv_lstm2d_return_state"] = () => ConvReturnsStates(new ConvLstm2D(2, 3, padding: Padding.Same, returnSequences: true) { ReturnState = true }),
        ["conv_lstm1d_from_initial_states_return_state"] = ConvFromInitialStates,
        ["adaptive_max_pooling1d_overlapping_windows"] = () => Chain([7, 3], new AdaptiveMaxPooling1D(3)),
        ["adaptive_average_pooling1d_larger_than_input"] = () => Chain([4, 2], new AdaptiveAveragePooling1D(7), new Dense(2)),
        ["adaptive_average_pooling2d_one_axis_divides"] = () => Chain([8, 7, 3], new AdaptiveAveragePooling2D((4, 3))),
        ["adaptive_max_pooling2d_after_conv2d"] = () => Chain([9, 9, 2], new Conv2D(3, 3), new AdaptiveMaxPooling2D((2, 4)), new Flatten(), new Dense(2)),
        ["adaptive_average_pooling3d_mixed_axes"] = () => Chain([5, 6, 4, 2], new AdaptiveAveragePooling3D((3, 2, 3))),
        ["adaptive_max_pooling3d_mixed_axes"] = () => Chain([5, 7, 3, 2], new AdaptiveMaxPooling3D((2, 3, 5))),
        ["adaptive_max_pooling3d_same_size"] = () => Chain([3, 4, 5, 2], new AdaptiveMaxPooling3D((3, 4, 5)), new Dense(2)),
        ["up_sampling3d_per_axis"] = () => Chain([2, 3, 4, 2], new UpSampling3D((2, 1, 3))),
        ["up_sampling3d_after_conv3d"] = () => Chain([3, 4, 3, 2], new Conv3D(3, 2), new UpSampling3D(2), new Conv3D(2, 3)),
        ["up_sampling3d_nothing"] = () => Chain([2, 3, 2, 2], new UpSampling3D(1), new Conv3D(2, 2)),
        ["zero_padding3d_each_side"] = () => Chain([3, 4, 5, 2], new ZeroPadding3D(((1, 0), (0, 2), (3, 1)))),
        ["zero_padding3d_after_conv3d"] = () => Chain([4, 3, 4, 2], new Conv3D(3, 2), new ZeroPadding3D((1, 0, 2)), new Conv3D(2, 2)),
        ["zero_padding3d_nothing"] = () => Chain([3, 4, 3, 2], new ZeroPadding3D(0), new Conv3D(2, 2)),
        ["cropping3d_each_side"] = () => Chain([7, 6, 8, 2], new Cropping3D(((2, 1), (0, 3), (1, 2)))),
        ["cropping3d_after_conv3d"] = () => Chain([7, 6, 5, 2], new Conv3D(3, 2), new Cropping3D((1, 2, 0)), new Flatten(), new Dense(2)),
        ["cropping3d_nothing"] = () => Chain([3, 4, 3, 2], new Cropping3D(0)),
        ["volume_normalizations_after_conv3d"] = () => Chain([4, 5, 3, 2], new Conv3D(6, 2, padding: Padding.Same), new BatchNormalization(), new PReLU(sharedAxes: [1, 2, 3]),
            new LayerNormalization(), new GroupNormalization(groups: 3), new UnitNormalization(), new Normalization(), new Conv3D(2, 1)),
        ["volume_normalizations_over_space_after_conv3d"] = () => Chain([4, 5, 3, 2], new Conv3D(3, 2), new PReLU(), new LayerNormalization([1, 2, 3, 4]), new Normalization([2])),
        ["volume_merges_and_concatenations"] = VolumeMerges,
        ["cnn3d_clip_classifier"] = () => Chain([7, 9, 8, 2],
            new Conv3D(4, (3, 3, 3), activation: ActivationFunction.Relu),
            new MaxPooling3D((1, 2, 2)),
            new Conv3D(3, (2, 3, 2), padding: Padding.Same, activation: ActivationFunction.Relu),
            new UpSampling3D((1, 2, 2)),
            new ZeroPadding3D(((1, 0), (1, 2), (0, 1))),
            new Cropping3D(((0, 1), (2, 1), (1, 0))),
            new GlobalAveragePooling3D(),
            new Dense(3, ActivationFunction.Softmax)),
        ["shared_layers_two_outputs"] = SharedLayers,
        ["shared_per_channel_layers_in_both_layouts"] = SharedPerChannelLayers,
        ["output_of_an_input_and_reused"] = OutputReused,
        ["image_output_also_through_identity"] = ImageOutputTwice,
        ["input_straight_to_output"] = InputStraightToOutput,
    };

    public static TheoryData<string> Names() => [.. All.Keys];

    public static Model Build(string name) => All[name]().Randomized();

    // ids (6) -> the embedding -> Dense(4, tanh) (after a masked GRU over the sequence when recurrent) -> the same
    // embedding in reverse: a language model's tied logits (6, vocabulary).
    private static Functional ReversibleLanguageModel(ReversibleEmbedding embedding, bool recurrent)
    {
        var ids = new Input(new TensorShape(6), name: "ids");
        SymbolicTensor hidden = embedding.Call(ids);
        if (recurrent)
        {
            hidden = new Gru(4, returnSequences: true).Call(hidden);
        }

        return new Functional(ids, embedding.CallReverse(new Dense(4, ActivationFunction.Tanh).Call(hidden)), seed: 3);
    }

    // KerasHub's use: tokens (after a Dense, so the input is not read directly) plus their positions.
    private static Functional PositionsAdded(int[] shape, PositionEmbedding positions)
    {
        var tokens = new Input(new TensorShape(shape), name: "tokens");
        SymbolicTensor hidden = new Dense(shape[^1]).Call(tokens);
        return new Functional(tokens, new Add().Call(hidden, positions.Call(hidden)), seed: 3);
    }

    private static Sequential Chain(int[] inputShape, params Layer[] layers)
    {
        var model = new Sequential(seed: 3);
        model.Add(new InputLayer(inputShape));
        foreach (Layer layer in layers)
        {
            model.Add(layer);
        }

        return model;
    }

    // Bidirectional without a merge: the forward sequence and the backward one (in time order) as two outputs, the
    // backward one also read by a Dense.
    private static Functional BidirectionalApart()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] both = new Bidirectional(new Gru(3, returnSequences: true), BidirectionalMergeMode.None, backwardLayer: new Lstm(2, returnSequences: true, goBackwards: true)).CallOutputs(x);
        return new Functional([x], [both[0], new Dense(2).Call(both[1])], seed: 3);
    }

    // A recurrent layer (or Bidirectional) returning its states: every output of the call is a model output.
    private static Functional ReturnsStates(Layer layer)
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        return new Functional([x], RecurrentStateExportTests.Apart(layer.CallOutputs(x)), seed: 3);
    }

    // Bidirectional started from initial states that are model inputs (the forward layer's, then the backward layer's),
    // all its outputs returned.
    private static Functional BidirectionalFromStates(Bidirectional layer, int[] forwardUnits, int[] backwardUnits)
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] states = [.. forwardUnits.Select((u, k) => new Input(new TensorShape(u), name: $"forward_{k}")),
            .. backwardUnits.Select((u, k) => new Input(new TensorShape(u), name: $"backward_{k}"))];
        return new Functional([x, .. states], RecurrentStateExportTests.Apart(layer.CallOutputs([x, .. states])), seed: 3);
    }

    // A ConvLSTM returning its states: every output of the call is a model output.
    private static Functional ConvReturnsStates(ConvLstm layer)
    {
        var x = new Input(new TensorShape(3, 5, 6, 2), name: "frames");
        return new Functional([x], RecurrentStateExportTests.Apart(layer.CallOutputs(x)), seed: 3);
    }

    // A backwards ConvLSTM1D started from initial states that are model inputs, all its outputs returned.
    private static Functional ConvFromInitialStates()
    {
        var x = new Input(new TensorShape(4, 7, 2), name: "signals");
        var h = new Input(new TensorShape(5, 3), name: "h");
        var c = new Input(new TensorShape(5, 3), name: "c");
        var layer = new ConvLstm1D(3, 3, goBackwards: true) { ReturnState = true };
        return new Functional([x, h, c], RecurrentStateExportTests.Apart(layer.CallOutputs(x, h, c)), seed: 3);
    }

    // A recurrent layer started from initial states that are model inputs (h, then an LSTM's c), all its outputs returned.
    private static Functional FromInitialStates(Recurrent layer)
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] states = [.. Enumerable.Range(0, layer.StateCount).Select(k => new Input(new TensorShape(layer.Units), name: k == 0 ? "h" : "c"))];
        return new Functional([x, .. states], RecurrentStateExportTests.Apart(layer.CallOutputs([x, .. states])), seed: 3);
    }

    // Keras' seq2seq: the encoder's states start the decoder (teacher forcing); the decoder's states are outputs too, as
    // an inference decoder loop would read them.
    private static Functional LstmEncoderDecoder()
    {
        var source = new Input(new TensorShape(6, 3), name: "encoder_inputs");
        var target = new Input(new TensorShape(4, 2), name: "decoder_inputs");
        SymbolicTensor[] encoded = new Lstm(5, name: "encoder") { ReturnState = true }.CallOutputs(source);
        SymbolicTensor[] decoded = new Lstm(5, returnSequences: true, name: "decoder") { ReturnState = true }.CallOutputs(target, encoded[1], encoded[2]);
        SymbolicTensor next = new Dense(7, ActivationFunction.Softmax, name: "next").Call(decoded[0]);
        return new Functional([source, target], [next, .. RecurrentStateExportTests.Apart(decoded[1..])], name: "seq2seq", seed: 3);
    }

    // seq2seq over padded ids: the encoder's final state is its last real step's, the decoder reads its own mask.
    private static Functional MaskedGruEncoderDecoder()
    {
        var source = new Input(new TensorShape(6), name: "source_ids");
        var target = new Input(new TensorShape(4), name: "target_ids");
        SymbolicTensor[] encoded = new Gru(4, goBackwards: true) { ReturnState = true }.CallOutputs(MaskedWords(source));
        SymbolicTensor decoded = new Gru(4, returnSequences: true).Call(MaskedWords(target), encoded[1]);
        return new Functional([source, target], [new Dense(8, ActivationFunction.Softmax).Call(decoded), encoded[1]], name: "masked_seq2seq", seed: 3);
    }

    // Ids (batch, steps) as word vectors (batch, steps, 4) with a mask where the id is 0.
    private static SymbolicTensor MaskedWords(SymbolicTensor ids) => new Embedding(8, 4, maskZero: true).Call(ids);

    private static Functional TwoInputs(int[] first, int[] second, Func<SymbolicTensor, SymbolicTensor, SymbolicTensor> merge)
    {
        var a = new Input(new TensorShape(first), name: "first");
        var b = new Input(new TensorShape(second), name: "second");
        return new Functional([a, b], [merge(a, b)], seed: 3);
    }

    // A query, and a value and a key when their shapes are given, into the attention layer.
    private static Functional Sequences(int[] query, int[]? value, int[]? key, Func<SymbolicTensor, SymbolicTensor, SymbolicTensor?, SymbolicTensor> attend)
    {
        var q = new Input(new TensorShape(query), name: "query");
        Input? v = value is null ? null : new Input(new TensorShape(value), name: "value");
        Input? k = key is null ? null : new Input(new TensorShape(key), name: "key");
        Input[] inputs = [q, .. v is null ? Array.Empty<Input>() : [v], .. k is null ? Array.Empty<Input>() : [k]];
        return new Functional(inputs, [attend(q, v ?? q, k)], seed: 3);
    }

    // Masks with zeros in random places: ReLU of random normal inputs is 0 at about half of the steps and positive (any
    // non-zero value keeps a step) at the others.
    private static Functional MaskedSequences(int[] query, int[] value, int[]? key, Func<SymbolicTensor, SymbolicTensor, SymbolicTensor?, SymbolicTensor, SymbolicTensor, SymbolicTensor> attend)
    {
        var q = new Input(new TensorShape(query), name: "query");
        var v = new Input(new TensorShape(value), name: "value");
        Input? k = key is null ? null : new Input(new TensorShape(key), name: "key");
        var qm = new Input(new TensorShape(query[0]), name: "query_mask");
        var vm = new Input(new TensorShape(value[0]), name: "value_mask");
        Input[] inputs = [q, v, .. k is null ? Array.Empty<Input>() : [k], qm, vm];
        return new Functional(inputs, [attend(q, v, k, new ReLU().Call(qm), new ReLU().Call(vm))], seed: 3);
    }

    private static Functional AttentionMasked(int[] query, int[] value, int[] mask, Func<SymbolicTensor, SymbolicTensor, SymbolicTensor, SymbolicTensor> attend)
    {
        var q = new Input(new TensorShape(query), name: "query");
        var v = new Input(new TensorShape(value), name: "value");
        var m = new Input(new TensorShape(mask), name: "attention_mask");
        return new Functional([q, v, m], [attend(q, v, new ReLU().Call(m))], seed: 3);
    }

    // Every pixel of a convolution's feature map (channels-first inside the file) attends to every pixel (Keras' default axes).
    private static Functional PixelSelfAttention()
    {
        var image = new Input(new TensorShape(3, 4, 6), name: "image");
        SymbolicTensor features = new Conv2D(6, 1).Call(image);
        return new Functional(image, new MultiHeadAttention(2, 3).Call(features, features), seed: 3);
    }

    // An encoder block over token ids: self-attention, a residual Add, LayerNormalization, a feed-forward pair, pooling.
    private static Functional TransformerBlock()
    {
        var ids = new Input(new TensorShape(6), name: "ids");
        SymbolicTensor x = new Embedding(12, 8).Call(ids);
        SymbolicTensor attended = new MultiHeadAttention(2, 4).Call(x, x);
        SymbolicTensor normed = new LayerNormalization().Call(new Add().Call(x, attended));
        SymbolicTensor fed = new Dense(8).Call(new Dense(16, ActivationFunction.Relu).Call(normed));
        SymbolicTensor pooled = new GlobalAveragePooling1D().Call(new LayerNormalization().Call(new Add().Call(normed, fed)));
        return new Functional(ids, new Dense(2, ActivationFunction.Softmax).Call(pooled), name: "transformer", seed: 3);
    }

    // A channels-first convolution output merged with a channels-last input, and with another convolution's output.
    private static Functional MergesMixedLayouts()
    {
        var image = new Input(new TensorShape(6, 5, 2), name: "image");
        SymbolicTensor c1 = new Conv2D(2, 3, padding: Padding.Same).Call(image);
        SymbolicTensor c2 = new Conv2D(2, 1).Call(image);
        SymbolicTensor sum = new Add().Call(c1, image, c2);
        SymbolicTensor difference = new Subtract().Call(image, c1);
        SymbolicTensor product = new Multiply().Call(c1, c2);
        SymbolicTensor mean = new Average().Call(sum, difference, product);
        SymbolicTensor high = new Maximum().Call(mean, c2);
        SymbolicTensor low = new Minimum().Call(c1, image, mean);
        return new Functional([image], [high, low], name: "merges", seed: 3);
    }

    private static Functional ConcatenateImages()
    {
        var image = new Input(new TensorShape(6, 5, 2), name: "image");
        SymbolicTensor conv = new Conv2D(3, 3, padding: Padding.Same).Call(image);
        SymbolicTensor channels = new Concatenate().Call(conv, image);
        SymbolicTensor rows = new Concatenate(axis: 1).Call(channels, channels);
        SymbolicTensor columns = new Concatenate(axis: -2).Call(new Conv2D(5, 1).Call(rows), rows);
        return new Functional(image, columns, name: "concatenations", seed: 3);
    }

    // A siamese pair: one encoder called on two inputs (weights written once), two outputs from different depths.
    // Volumes merged channels first (two Conv3D outputs: Add, and Concatenate on the height and on the channel axes, mapped
    // into the layout) and in mixed layouts (a Conv3D output times an input volume, merged channels last).
    private static Functional VolumeMerges()
    {
        var a = new Input(new TensorShape(4, 5, 3, 2), name: "a");
        var b = new Input(new TensorShape(4, 5, 3, 2), name: "b");
        SymbolicTensor c = new Conv3D(2, 3, padding: Padding.Same).Call(a), d = new Conv3D(2, 1).Call(b);
        return new Functional([a, b], [
            new Concatenate(axis: 2).Call(new Add().Call(c, d), new Maximum().Call(c, d)),
            new Concatenate().Call(c, d),
            new Multiply().Call(c, b),
        ], seed: 3);
    }

    private static Functional SharedLayers()
    {
        var left = new Input(new TensorShape(5), name: "left");
        var right = new Input(new TensorShape(5), name: "right");
        var encoder = new Dense(4, ActivationFunction.Tanh, name: "encoder");
        SymbolicTensor a = encoder.Call(left), b = encoder.Call(right);
        SymbolicTensor same = new Dense(1, ActivationFunction.Sigmoid, name: "same").Call(new Concatenate().Call(a, b));
        SymbolicTensor code = new Identity(name: "code").Call(a);
        return new Functional([left, right], [same, code], name: "siamese", seed: 3);
    }

    // Per-channel layers each called on an input image (channels last) and on a convolution's output (channels first
    // in the graph): their weights broadcast as (1, 1, C) in one call and (C, 1, 1) in the other.
    private static Functional SharedPerChannelLayers()
    {
        var image = new Input(new TensorShape(5, 6, 3), name: "image");
        SymbolicTensor conv = new Conv2D(3, 2, padding: Padding.Same).Call(image);
        var prelu = new PReLU(sharedAxes: [1, 2], name: "prelu");
        var layerNorm = new LayerNormalization(name: "layer_norm");
        var groupNorm = new GroupNormalization(groups: 3, name: "group_norm");
        SymbolicTensor fromImage = groupNorm.Call(layerNorm.Call(prelu.Call(image)));
        SymbolicTensor fromConv = new Identity(name: "from_conv").Call(groupNorm.Call(layerNorm.Call(prelu.Call(conv))));
        return new Functional([image], [fromImage, fromConv], name: "shared_per_channel", seed: 3);
    }

    // An output that is an input passed through Identity, and an output that another output's layer also reads.
    private static Functional OutputReused()
    {
        var x = new Input(new TensorShape(4), name: "x");
        SymbolicTensor hidden = new Dense(3, ActivationFunction.Relu, name: "hidden").Call(x);
        SymbolicTensor top = new Dense(2, name: "top").Call(hidden);
        SymbolicTensor echo = new Identity(name: "echo").Call(x);
        return new Functional([x], [hidden, top, echo], name: "reused", seed: 3);
    }

    // A convolution's output that is an output itself and also one through Identity: both need the channels-last
    // transpose, made once, whose output the first takes the name of.
    private static Functional ImageOutputTwice()
    {
        var x = new Input(new TensorShape(6, 5, 2), name: "x");
        SymbolicTensor conv = new Conv2D(3, 3, name: "conv").Call(x);
        SymbolicTensor echo = new Identity(name: "echo").Call(conv);
        return new Functional([x], [conv, echo], name: "image_twice", seed: 3);
    }

    // An input that is itself an output, with nothing in between.
    private static Functional InputStraightToOutput()
    {
        var x = new Input(new TensorShape(4), name: "x");
        var y = new Input(new TensorShape(3), name: "y");
        SymbolicTensor top = new Dense(2, name: "top").Call(x);
        return new Functional([x, y], [top, y], name: "input_out", seed: 3);
    }
}
