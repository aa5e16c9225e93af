using System.Numerics.Tensors;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>How <see cref="ScoreAttention"/> scores a query against a key.</summary>
internal enum ScoreKind
{
    /// <summary>Keras' <c>Attention(score_mode="dot")</c>: s = scale · q·k.</summary>
    Dot,

    /// <summary>Keras' <c>Attention(score_mode="concat")</c>: s = w · Σ_d tanh(scale · (q_d + k_d)), w and scale scalars.</summary>
    Concat,

    /// <summary>Keras' <c>AdditiveAttention</c>: s = Σ_d scale_d · tanh(q_d + k_d).</summary>
    Additive,
}

/// <summary>
/// The computation shared by <see cref="Attention"/> and <see cref="AdditiveAttention"/> (Keras' <c>Attention</c> and its
/// subclass): scores of every query step against every key step, a masked softmax over the keys, dropout of the
/// weights in training, and their product with the value. Owned by one layer instance, created when it is built.
/// </summary>
/// <remarks>
/// Inputs, in order: query (B, Tq, dim), value (B, Tv, dv), key (B, Tv, dim) when present, then with masks the query
/// mask (B, Tq) and the value mask (B, Tv). Output (B, Tq, dv). Without mask inputs, the masks that arrive with the
/// query and the value (Keras' <c>_keras_mask</c>) take their place.
/// </remarks>
internal sealed class ScoreAttention
{
    private readonly ScoreKind _mode;
    private readonly int _tq;
    private readonly int _tv;
    private readonly int _dim;
    private readonly int _dv;
    private readonly bool _hasKey;
    private readonly bool _useMask;
    private readonly bool _causal;
    private readonly double _rate;
    private readonly Parameter? _scale;
    private readonly Parameter? _concatWeight;
    private readonly TensorShape _scoreShape;
    private readonly TensorShape _outputShape;
    private readonly TensorShape _valueShape;
    private readonly TensorShape _queryShape;
    private readonly TensorShape _keyShape;
    private readonly TensorShape _queryMaskShape;
    private readonly TensorShape _valueMaskShape;
    private readonly TensorShape _tanhShape;

    private readonly TensorShape[] _scoreOutputShapes;

    private Tensor? _scoresGradient;
    private Tensor? _raw;
    private Tensor? _tanh;
    private Tensor? _weights;
    private Tensor? _dropMask;
    private Tensor? _dropped;
    private Tensor? _output;
    private Tensor? _maskedGradient;
    private Tensor? _weightGradient;
    private Tensor? _queryGradient;
    private Tensor? _keyGradient;
    private Tensor? _valueGradient;
    private Tensor? _queryMaskGradient;
    private Tensor? _valueMaskGradient;
    private Tensor? _lastQuery;
    private Tensor? _lastKey;
    private Tensor? _lastValue;
    private Tensor? _lastQueryMask;
    private Tensor? _lastValueMask;
    private Tensor? _outputMask;
    private Tensor? _queryMaskOut;
    private bool _lastDropped;

    public ScoreAttention(ScoreKind mode, int tq, int tv, int dim, int dv, bool hasKey, bool useMask, bool causal, double rate, Parameter? scale, Parameter? concatWeight)
    {
        _mode = mode;
        _tq = tq;
        _tv = tv;
        _dim = dim;
        _dv = dv;
        _hasKey = hasKey;
        _useMask = useMask;
        _causal = causal;
        _rate = rate;
        _scale = scale;
        _concatWeight = concatWeight;
        _scoreShape = new TensorShape(tq, tv);
        _outputShape = new TensorShape(tq, dv);
        _valueShape = new TensorShape(tv, dv);
        _queryShape = new TensorShape(tq, dim);
        _keyShape = new TensorShape(tv, dim);
        _queryMaskShape = new TensorShape(tq);
        _valueMaskShape = new TensorShape(tv);
        _tanhShape = new TensorShape(tq, tv, dim);
        _scoreOutputShapes = [_scoreShape];
    }

    /// <summary>The batch size of the last forward pass, or -1.</summary>
    public int LastBatch { get; private set; } = -1;

    /// <summary>The attention weights of the last forward pass (after the mask, softmax and, in training, dropout), (B, Tq, Tv).</summary>
    public Tensor? LastWeights => LastBatch < 0 ? null : (_lastDropped ? _dropped! : _weights!).FirstRows(LastBatch);

    /// <summary>
    /// The mask of the last forward pass's output (B, Tq): the query mask in effect, 1 where a query step is real and 0
    /// where it is masked (Keras' <c>compute_mask</c> returns <c>mask[0]</c>); null without a query mask.
    /// </summary>
    public Tensor? OutputMask => LastBatch < 0 ? null : _outputMask;

    /// <summary>
    /// The forward pass. <paramref name="inputMasks"/> are the masks that came with the inputs (empty or null entries for
    /// none); <paramref name="random"/> draws the dropout mask (needed only in training with a positive rate).
    /// </summary>
    public Tensor Forward(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor?> inputMasks, bool training, SeededRandom? random)
    {
        Tensor query = inputs[0], value = inputs[1];
        Tensor key = _hasKey ? inputs[2] : value;
        int first = _hasKey ? 3 : 2;

        // Keras fills mask=[query_mask, value_mask] from the inputs' masks only when the call passes none, and never
        // reads the key's mask.
        Tensor? queryMask = _useMask ? inputs[first] : (inputMasks.Length > 0 ? inputMasks[0] : null);
        Tensor? valueMask = _useMask ? inputs[first + 1] : (inputMasks.Length > 1 ? inputMasks[1] : null);
        int batch = query.Shape[0], tqtv = _tq * _tv;
        TensorShape scoreShape = _scoreShape;
        Tensor weights = View(ref _weights, batch, scoreShape);
        Span<float> ws = weights.AsSpan();
        ReadOnlySpan<float> qs = query.AsReadOnlySpan(), ks = key.AsReadOnlySpan(), vs = value.AsReadOnlySpan();
        if (_mode == ScoreKind.Dot)
        {
            // raw (Tq, Tv) = q (Tq, dim) · kᵀ per sample; scores = scale · raw.
            Tensor raw = View(ref _raw, batch, scoreShape);
            Span<float> rs = raw.AsSpan();
            for (int b = 0; b < batch; b++)
            {
                Gemm.Multiply(false, true, _tq, _tv, _dim, 1f, qs.Slice(b * _tq * _dim, _tq * _dim), _dim, ks.Slice(b * _tv * _dim, _tv * _dim), _dim, 0f, rs.Slice(b * tqtv, tqtv), _tv);
            }

            if (_scale is not null)
            {
                TensorPrimitives.Multiply(raw.AsReadOnlySpan(), _scale.Value.AsReadOnlySpan()[0], ws);
            }
            else
            {
                raw.AsReadOnlySpan().CopyTo(ws);
            }
        }
        else
        {
            TanhScores(qs, ks, batch, ws);
        }

        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < _tq; t++)
            {
                Span<float> row = ws.Slice((b * tqtv) + (t * _tv), _tv);
                for (int s = 0; s < _tv; s++)
                {
                    if (!Allowed(valueMask, b, t, s))
                    {
                        row[s] += AttentionKernels.MaskedScore;
                    }
                }
            }
        }

        AttentionKernels.SoftmaxRows(ws, batch * _tq, _tv);
        Tensor applied = weights;
        _lastDropped = training && _rate > 0.0;
        if (_lastDropped)
        {
            Tensor dropMask = View(ref _dropMask, batch, scoreShape);
            random!.FillKeepMask(dropMask.AsSpan(), (uint)Math.Round(_rate * (1 << 24)), (float)(1.0 / (1.0 - _rate)));
            applied = View(ref _dropped, batch, scoreShape);
            TensorPrimitives.Multiply(weights.AsReadOnlySpan(), dropMask.AsReadOnlySpan(), applied.AsSpan());
        }

        // output (Tq, dv) = weights (Tq, Tv) · value (Tv, dv) per sample; rows of masked query steps are zeroed.
        Tensor output = View(ref _output, batch, _outputShape);
        Span<float> os = output.AsSpan();
        ReadOnlySpan<float> aps = applied.AsReadOnlySpan();
        for (int b = 0; b < batch; b++)
        {
            Gemm.Multiply(false, false, _tq, _dv, _tv, 1f, aps.Slice(b * tqtv, tqtv), _tv, vs.Slice(b * _tv * _dv, _tv * _dv), _dv, 0f, os.Slice(b * _tq * _dv, _tq * _dv), _dv);
        }

        if (queryMask is not null)
        {
            ReadOnlySpan<float> qm = queryMask.AsReadOnlySpan();
            for (int r = 0; r < batch * _tq; r++)
            {
                if (qm[r] == 0f)
                {
                    os.Slice(r * _dv, _dv).Clear();
                }
            }
        }

        _lastQuery = query;
        _lastKey = key;
        _lastValue = value;
        _lastQueryMask = queryMask;
        _lastValueMask = valueMask;
        _outputMask = queryMask is null ? null : _useMask ? ZeroOne(queryMask, batch) : queryMask;
        LastBatch = batch;
        return output;
    }

    /// <summary>
    /// The layers' further outputs (<c>Layer.AdditionalOutputShapes</c>): with <paramref name="returnScores"/> (Keras'
    /// return_attention_scores), the per-sample shape of the attention weights, [(Tq, Tv)]; else none.
    /// </summary>
    public IReadOnlyList<TensorShape> AdditionalOutputShapes(bool returnScores) => returnScores ? _scoreOutputShapes : [];

    /// <summary>
    /// The layers' <c>SetAdditionalOutputGradients</c>: the gradient of <see cref="LastWeights"/> for the backward pass that
    /// follows (null or an empty span: none).
    /// </summary>
    public void SetScoresGradient(ReadOnlySpan<Tensor?> gradients) => _scoresGradient = gradients.IsEmpty ? null : gradients[0];

    /// <summary>
    /// The layers' <c>OnBackward</c>: the backward pass of the last forward pass, with the scores' gradient set by
    /// <see cref="SetScoresGradient"/>; parameter gradients accumulate; input gradients when asked.
    /// </summary>
    /// <exception cref="InvalidOperationException">The output gradient's batch differs from the last forward pass's.</exception>
    public void Backward(Layer layer, Tensor outputGradient, Span<Tensor?> inputGradients, bool computeInputs)
    {
        if (LastBatch != outputGradient.Shape[0])
        {
            throw new InvalidOperationException($"{layer} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last batch {LastBatch}).");
        }

        Tensor? scoresGradient = _scoresGradient;
        int batch = LastBatch, tqtv = _tq * _tv;
        TensorShape scoreShape = _scoreShape;
        Tensor g = outputGradient;
        if (_lastQueryMask is not null)
        {
            g = View(ref _maskedGradient, batch, _outputShape);
            outputGradient.AsReadOnlySpan().CopyTo(g.AsSpan());
            ReadOnlySpan<float> qm = _lastQueryMask.AsReadOnlySpan();
            for (int r = 0; r < batch * _tq; r++)
            {
                if (qm[r] == 0f)
                {
                    g.AsSpan().Slice(r * _dv, _dv).Clear();
                }
            }
        }

        // dweights' = g · valueᵀ; dvalue = weights'ᵀ · g (per sample).
        Tensor weightGradient = View(ref _weightGradient, batch, scoreShape);
        Tensor valueGradient = View(ref _valueGradient, batch, _valueShape);
        ReadOnlySpan<float> gs = g.AsReadOnlySpan(), vs = _lastValue!.AsReadOnlySpan();
        ReadOnlySpan<float> applied = (_lastDropped ? _dropped! : _weights!).AsReadOnlySpan();
        Span<float> dws = weightGradient.AsSpan(), dvs = valueGradient.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<float> gb = gs.Slice(b * _tq * _dv, _tq * _dv);
            Gemm.Multiply(false, true, _tq, _tv, _dv, 1f, gb, _dv, vs.Slice(b * _tv * _dv, _tv * _dv), _dv, 0f, dws.Slice(b * tqtv, tqtv), _tv);
            Gemm.Multiply(true, false, _tv, _dv, _tq, 1f, applied.Slice(b * tqtv, tqtv), _tv, gb, _dv, 0f, dvs.Slice(b * _tv * _dv, _tv * _dv), _dv);
        }

        int count = batch * tqtv;
        if (scoresGradient is not null)
        {
            // The returned weights are those the value was multiplied by (after dropout, as Keras returns them).
            TensorPrimitives.Add(dws[..count], scoresGradient.AsReadOnlySpan()[..count], dws[..count]);
        }

        if (_lastDropped)
        {
            TensorPrimitives.Multiply(dws[..count], _dropMask!.AsReadOnlySpan()[..count], dws[..count]);
        }

        // Keras subtracts 1e9 from masked scores and differentiates through the softmax alone: a masked score's
        // probability is 0 beside a real key, so its gradient is 0 there, but a row whose keys are all masked is uniform
        // and its gradient p·(dp − Σ p·dp) reaches q and k, as Keras' does.
        AttentionKernels.SoftmaxBackwardRows(_weights!.AsReadOnlySpan(), dws, dws, batch * _tq, _tv);

        Tensor queryGradient = View(ref _queryGradient, batch, _queryShape);
        Tensor keyGradient = View(ref _keyGradient, batch, _keyShape);
        ReadOnlySpan<float> qs = _lastQuery!.AsReadOnlySpan(), ks = _lastKey!.AsReadOnlySpan(), dss = weightGradient.AsReadOnlySpan();
        if (_mode == ScoreKind.Dot)
        {
            // scores = c · q·kᵀ: dq = c · ds·k, dk = c · dsᵀ·q, dc = Σ ds ⊙ q·kᵀ.
            float c = _scale is null ? 1f : _scale.Value.AsReadOnlySpan()[0];
            Span<float> dqs = queryGradient.AsSpan(), dks = keyGradient.AsSpan();
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> gb = dss.Slice(b * tqtv, tqtv);
                Gemm.Multiply(false, false, _tq, _dim, _tv, c, gb, _tv, ks.Slice(b * _tv * _dim, _tv * _dim), _dim, 0f, dqs.Slice(b * _tq * _dim, _tq * _dim), _dim);
                Gemm.Multiply(true, false, _tv, _dim, _tq, c, gb, _tv, qs.Slice(b * _tq * _dim, _tq * _dim), _dim, 0f, dks.Slice(b * _tv * _dim, _tv * _dim), _dim);
            }

            if (_scale is not null)
            {
                _scale.Gradient.AsSpan()[0] += TensorPrimitives.Dot(dss[..count], _raw!.AsReadOnlySpan()[..count]);
            }
        }
        else
        {
            TanhScoresBackward(qs, ks, dss, batch, queryGradient.AsSpan(), keyGradient.AsSpan());
        }

        if (!computeInputs)
        {
            return;
        }

        if (!_hasKey)
        {
            TensorPrimitives.Add(dvs[..(batch * _tv * _dv)], keyGradient.AsReadOnlySpan()[..(batch * _tv * _dv)], dvs[..(batch * _tv * _dv)]);
        }

        inputGradients[0] = queryGradient;
        inputGradients[1] = valueGradient;
        int first = 2;
        if (_hasKey)
        {
            inputGradients[2] = keyGradient;
            first = 3;
        }

        if (_useMask)
        {
            // The masks are compared with 0, so their gradients are 0.
            Tensor queryMaskGradient = View(ref _queryMaskGradient, batch, _queryMaskShape);
            Tensor valueMaskGradient = View(ref _valueMaskGradient, batch, _valueMaskShape);
            queryMaskGradient.AsSpan().Clear();
            valueMaskGradient.AsSpan().Clear();
            inputGradients[first] = queryMaskGradient;
            inputGradients[first + 1] = valueMaskGradient;
        }
    }

    // scores[b, t, s] = Σ_d w_d · tanh(c · (q[b, t, d] + k[b, s, d])); the tanh values are kept for the backward pass.
    private void TanhScores(ReadOnlySpan<float> qs, ReadOnlySpan<float> ks, int batch, Span<float> scores)
    {
        Tensor tanh = View(ref _tanh, batch, _tanhShape);
        Span<float> th = tanh.AsSpan();
        float c = _mode == ScoreKind.Concat && _scale is not null ? _scale.Value.AsReadOnlySpan()[0] : 1f;
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < _tq; t++)
            {
                ReadOnlySpan<float> q = qs.Slice(((b * _tq) + t) * _dim, _dim);
                for (int s = 0; s < _tv; s++)
                {
                    ReadOnlySpan<float> k = ks.Slice(((b * _tv) + s) * _dim, _dim);
                    int index = (((b * _tq) + t) * _tv) + s;
                    Span<float> u = th.Slice(index * _dim, _dim);
                    TensorPrimitives.Add(q, k, u);
                    if (c != 1f)
                    {
                        TensorPrimitives.Multiply(u, c, u);
                    }

                    TensorPrimitives.Tanh(u, u);
                    scores[index] = _mode switch
                    {
                        ScoreKind.Additive when _scale is not null => TensorPrimitives.Dot(_scale.Value.AsReadOnlySpan(), u),
                        ScoreKind.Concat => _concatWeight!.Value.AsReadOnlySpan()[0] * TensorPrimitives.Sum(u),
                        _ => TensorPrimitives.Sum(u),
                    };
                }
            }
        }
    }

    // With th = tanh(c · (q + k)) and s = Σ_d w_d · th_d: dw_d += ds · th_d; du = ds · w_d · (1 − th_d²);
    // dq_d += c · du, dk_d += c · du, dc += Σ du · (q_d + k_d).
    private void TanhScoresBackward(ReadOnlySpan<float> qs, ReadOnlySpan<float> ks, ReadOnlySpan<float> ds, int batch, Span<float> dq, Span<float> dk)
    {
        dq[..(batch * _tq * _dim)].Clear();
        dk[..(batch * _tv * _dim)].Clear();
        ReadOnlySpan<float> th = _tanh!.AsReadOnlySpan();
        bool concat = _mode == ScoreKind.Concat;
        float c = concat && _scale is not null ? _scale.Value.AsReadOnlySpan()[0] : 1f;
        float w = concat ? _concatWeight!.Value.AsReadOnlySpan()[0] : 1f;
        ReadOnlySpan<float> wd = !concat && _scale is not null ? _scale.Value.AsReadOnlySpan() : default;
        Span<float> dwd = !concat && _scale is not null ? _scale.Gradient.AsSpan() : default;
        double dw = 0, dc = 0;
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < _tq; t++)
            {
                ReadOnlySpan<float> q = qs.Slice(((b * _tq) + t) * _dim, _dim);
                Span<float> dqRow = dq.Slice(((b * _tq) + t) * _dim, _dim);
                for (int s = 0; s < _tv; s++)
                {
                    int index = (((b * _tq) + t) * _tv) + s;
                    float g = ds[index];
                    if (g == 0f)
                    {
                        continue;
                    }

                    ReadOnlySpan<float> k = ks.Slice(((b * _tv) + s) * _dim, _dim);
                    Span<float> dkRow = dk.Slice(((b * _tv) + s) * _dim, _dim);
                    ReadOnlySpan<float> u = th.Slice(index * _dim, _dim);
                    for (int d = 0; d < _dim; d++)
                    {
                        float weight = wd.IsEmpty ? w : wd[d];
                        if (concat)
                        {
                            dw += (double)g * u[d];
                        }
                        else if (!dwd.IsEmpty)
                        {
                            dwd[d] += g * u[d];
                        }

                        float du = g * weight * (1f - (u[d] * u[d]));
                        dqRow[d] += c * du;
                        dkRow[d] += c * du;
                        dc += (double)du * (q[d] + k[d]);
                    }
                }
            }
        }

        if (concat)
        {
            _concatWeight!.Gradient.AsSpan()[0] += (float)dw;
            if (_scale is not null)
            {
                _scale.Gradient.AsSpan()[0] += (float)dc;
            }
        }
    }

    // A mask given as an input may hold any non-zero value for "keep"; the output's mask is 1 or 0, as a Keras bool is.
    private Tensor ZeroOne(Tensor mask, int batch)
    {
        Tensor result = View(ref _queryMaskOut, batch, _queryMaskShape);
        ReadOnlySpan<float> m = mask.AsReadOnlySpan();
        Span<float> r = result.AsSpan();
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = m[i] == 0f ? 0f : 1f;
        }

        return result;
    }

    private bool Allowed(Tensor? valueMask, int b, int t, int s) =>
        (!_causal || s <= t) && (valueMask is null || valueMask.AsReadOnlySpan()[(b * _tv) + s] != 0f);

    private static Tensor View(ref Tensor? buffer, int batch, TensorShape sample)
    {
        if (buffer is null || buffer.Shape[0] < batch || buffer.Length / buffer.Shape[0] != sample.ElementCount)
        {
            buffer = new Tensor(sample.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }
}
