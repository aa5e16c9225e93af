using NeuralNet.Training;

namespace NeuralNet.Models;

/// <summary>
/// The target shape each output's loss and metrics accepted last, for the trainer they belong to: a custom loop's
/// <c>TrainOnBatch</c> gives the same shapes every step, and their check (which makes shapes) then runs once, so a warm call
/// allocates nothing. The values (labels in range, finite) are still checked on every call.
/// </summary>
internal sealed class ValidatedTargetShapes
{
    private Trainer? _trainer;
    private (TensorShape Output, int[] Target)?[] _shapes = [];

    /// <summary>Whether targets of shape <paramref name="targets"/> (batch axis first) were accepted for output <paramref name="output"/> of that shape.</summary>
    public bool Matches(Trainer trainer, int output, TensorShape outputShape, TensorShape targets) =>
        ReferenceEquals(trainer, _trainer) && output < _shapes.Length && _shapes[output] is (TensorShape accepted, int[] sample)
        && accepted == outputShape && targets.Dimensions[1..].SequenceEqual(sample);

    /// <summary>Records that the trainer's loss and metrics of <paramref name="output"/> accepted these shapes.</summary>
    public void Remember(Trainer trainer, int output, TensorShape outputShape, TensorShape targets)
    {
        if (!ReferenceEquals(trainer, _trainer))
        {
            _trainer = trainer;
            _shapes = new (TensorShape, int[])?[trainer.Settings.Losses.Length];
        }

        _shapes[output] = (outputShape, targets.Dimensions[1..].ToArray());
    }
}
