using NeuralNet.Losses;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>
/// A loss called by hand on a one-unit output (n, 1) takes one target per sample, (n), as Fit does and as Keras'
/// squeeze_or_expand_to_same_rank lets <c>BinaryCrossentropy()(y_true (n,), y_pred (n, 1))</c> through.
/// </summary>
public sealed class OnePerSampleTargetsTests
{
    private static readonly Tensor Predictions = Tensor.FromArray([0.9f, 0.2f, 0.6f, 0.3f], 4, 1);
    private static readonly float[] TargetValues = [1f, 0f, 0f, 1f];

    public static TheoryData<string> ElementLosses => ["binary_crossentropy", "mean_squared_error", "mean_absolute_error", "huber", "hinge", "poisson"];

    [Theory]
    [MemberData(nameof(ElementLosses))]
    public void Targets_of_one_value_per_sample_give_the_loss_and_gradient_of_a_column(string name)
    {
        Loss loss = name switch
        {
            "binary_crossentropy" => new BinaryCrossEntropy(),
            "mean_squared_error" => new MeanSquaredError(),
            "mean_absolute_error" => new MeanAbsoluteError(),
            "huber" => new Huber(),
            "hinge" => new Hinge(),
            _ => new Poisson(),
        };
        Tensor column = Tensor.FromArray(TargetValues, 4, 1), flat = Tensor.FromArray(TargetValues, 4);
        Tensor gradientOfColumn = Tensor.Zeros(4, 1), gradientOfFlat = Tensor.Zeros(4, 1);

        loss.Gradient(Predictions, column, gradientOfColumn);
        loss.Gradient(Predictions, flat, gradientOfFlat);

        Assert.Equal(loss.Compute(Predictions, column), loss.Compute(Predictions, flat));
        Assert.Equal(gradientOfColumn.ToArray(), gradientOfFlat.ToArray());
        Assert.NotEqual(0f, loss.Compute(Predictions, flat));
    }

    [Fact]
    public void Binary_cross_entropy_of_flat_targets_is_keras_value()
    {
        // Keras: BinaryCrossentropy()([1, 0, 0, 1], [[0.9], [0.2], [0.6], [0.3]]) = mean(-ln 0.9, -ln 0.8, -ln 0.4, -ln 0.3).
        double expected = (-Math.Log(0.9) - Math.Log(0.8) - Math.Log(0.4) - Math.Log(0.3)) / 4;

        float value = new BinaryCrossEntropy().Compute(Predictions, Tensor.FromArray(TargetValues, 4));

        Assert.Equal(expected, value, 5);
    }

    [Fact]
    public void Targets_of_another_count_are_still_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new BinaryCrossEntropy().Compute(Predictions, Tensor.FromArray([1f, 0f, 1f], 3)));
    }

    [Fact]
    public void Sparse_cross_entropy_keeps_reading_flat_targets_as_class_indices_of_a_one_unit_output()
    {
        // One class: every index is 0 and the probability, normalized over the class axis as Keras does, is 1, so the
        // loss is 0; read as a (2, 1) target column the shapes would be refused instead.
        float value = new SparseCategoricalCrossEntropy().Compute(Tensor.FromArray([0.4f, 0.9f], 2, 1), Tensor.FromArray([0f, 0f], 2));

        Assert.Equal(0, value, 5);
    }
}
