using System.Collections.ObjectModel;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Training;

/// <summary>
/// The callbacks of one <c>Predict</c> call, in Keras 3's order: <see cref="Callback.OnPredictBegin"/>, the batch events,
/// <see cref="Callback.OnPredictEnd"/>, and <see cref="Callback.OnRunOver"/> however the call ends (once begun). The prediction holds
/// the model exclusively (callbacks may change it), so each event that may have changed weights renews the thread's
/// inference pass: nothing a layer derived from the old weights is read again.
/// </summary>
internal sealed class PredictCallbacks
{
    private readonly Model _model;
    private readonly IReadOnlyList<Callback> _callbacks;

    private PredictCallbacks(Model model, IReadOnlyList<Callback> callbacks)
    {
        _model = model;
        _callbacks = callbacks;
    }

    /// <summary>
    /// The callbacks given to a <c>Predict</c> call on <paramref name="model"/>, checked before anything runs (see
    /// <see cref="Trainer.CheckedCallbacks"/>); null when there are none, for the shared, lock-free path.
    /// </summary>
    public static PredictCallbacks? Create(IEnumerable<Callback>? callbacks, Model model) =>
        Trainer.CheckedCallbacks(callbacks, model) is { Count: > 0 } list ? new PredictCallbacks(model, list) : null;

    /// <summary>Resets <see cref="Model.StopPredicting"/>, then calls every <see cref="Callback.OnPredictBegin"/>.</summary>
    public void Begin()
    {
        foreach (Callback callback in _callbacks)
        {
            callback.Model = _model;
        }

        _model.StopPredicting = false;
        foreach (Callback callback in _callbacks)
        {
            callback.OnPredictBegin(ReadOnlyDictionary<string, double>.Empty);
        }

        InferencePass.Renew();
    }

    /// <summary>Calls every <see cref="Callback.OnPredictBatchBegin"/>.</summary>
    public void BatchBegin(int batch)
    {
        foreach (Callback callback in _callbacks)
        {
            callback.OnPredictBatchBegin(batch, ReadOnlyDictionary<string, double>.Empty);
        }

        InferencePass.Renew();
    }

    /// <summary>Calls every <see cref="Callback.OnPredictBatchEnd"/>; returns whether one set <see cref="Model.StopPredicting"/>.</summary>
    public bool BatchEnd(int batch, IReadOnlyList<Tensor> outputs)
    {
        foreach (Callback callback in _callbacks)
        {
            callback.OnPredictBatchEnd(batch, outputs);
        }

        InferencePass.Renew();
        return _model.StopPredicting;
    }

    /// <summary>Calls every <see cref="Callback.OnPredictEnd"/>.</summary>
    public void End()
    {
        foreach (Callback callback in _callbacks)
        {
            callback.OnPredictEnd(ReadOnlyDictionary<string, double>.Empty);
        }
    }

    /// <summary>Calls every <see cref="Callback.OnRunOver"/>: what a callback changed for the call goes back.</summary>
    public void Over()
    {
        foreach (Callback callback in _callbacks)
        {
            callback.OnRunOver();
        }
    }
}
