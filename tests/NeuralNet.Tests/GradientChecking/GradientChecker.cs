using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Regularizers;

namespace NeuralNet.Tests.GradientChecking;

/// <summary>
/// Compares analytic gradients with central differences <c>(f(x + h) - f(x - h)) / 2h</c>, the objective
/// accumulated in double precision. For a layer the objective is <c>sum(G ⊙ layer(x))</c> with a seeded random
/// upstream gradient G (plus its parameters' regularization penalties), so that the input and every parameter
/// gradient are checked in one run. Reusable for any layer (Conv2D, pooling, batch normalization).
/// </summary>
public static class GradientChecker
{
    /// <summary>
    /// Checks a layer's input gradient (when <see cref="Layer.ComputesInputGradient"/>) and every trainable
    /// parameter's gradient at <paramref name="input"/>.
    /// </summary>
    /// <param name="layer">The layer; built on the first forward if not yet built. Its gradients are cleared first.</param>
    /// <param name="input">(batch, ...inputShape); perturbed in place during the check and restored.</param>
    /// <param name="seed">Seed of the upstream gradient G.</param>
    /// <param name="options">Tolerances; null for <see cref="GradientCheckOptions.Default"/>.</param>
    /// <param name="training">The training flag passed to every forward call (keep false for stochastic layers).</param>
    /// <param name="mask">A mask passed with the input to every forward call (Keras' masking), or null.</param>
    /// <param name="beforeEachForward">Runs before every forward call, the analytic one included: restores state a
    /// forward call changes (a stateful layer's carried states), so that every call computes the same function.</param>
    public static GradientCheckReport CheckLayer(Layer layer, Tensor input, long seed, GradientCheckOptions? options = null, bool training = false, Tensor? mask = null, Action? beforeEachForward = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(input);
        options ??= GradientCheckOptions.Default;
        beforeEachForward?.Invoke();
        Tensor output = layer.Forward(input, mask, training);
        Tensor upstream = Tensor.RandomNormal(output.Shape, seed);
        foreach (Parameter p in layer.Parameters)
        {
            p.ZeroGradient();
        }

        float[] inputGradient = layer.Backward(upstream).ToArray();

        // Penalties are the trainer's: their gradients join the parameters' after the backward pass, as in training.
        NeuralNet.Training.Penalties.AddGradients([.. layer.Parameters.Where(p => p.Regularizer is not null)]);
        var parameterGradients = layer.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        double Objective()
        {
            beforeEachForward?.Invoke();
            ReadOnlySpan<float> y = layer.Forward(input, mask, training).AsReadOnlySpan();
            ReadOnlySpan<float> g = upstream.AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g[i] * y[i];
            }

            // A loss the layer (or a layer inside it) added with AddLoss is part of the objective its backward pass differentiates.
            sum += layer.AddedLossWithInnerLayers();
            foreach (Parameter p in layer.Parameters)
            {
                if (p.Regularizer is not null)
                {
                    sum += p.Regularizer.Penalty(p.Value.AsReadOnlySpan());
                }
            }

            return sum;
        }

        var report = new GradientCheckReport();
        if (layer.ComputesInputGradient)
        {
            CheckTensor(report, "input", input, inputGradient, Objective, options, seed);
        }

        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            Parameter p = layer.Parameters[i];
            if (p.Trainable)
            {
                CheckTensor(report, p.Name, p.Value, parameterGradients[i], Objective, options, seed + i + 1);
            }
        }

        return report;
    }

    /// <summary>Checks <see cref="ActivationFunction.Backward"/> against its <see cref="ActivationFunction.Forward"/>.</summary>
    /// <param name="function">The activation.</param>
    /// <param name="input">The input rows; perturbed in place during the check and restored.</param>
    /// <param name="columns">The row length.</param>
    /// <param name="seed">Seed of the upstream gradient.</param>
    /// <param name="options">Tolerances; null for the defaults.</param>
    public static GradientCheckReport CheckActivation(ActivationFunction function, Tensor input, int columns, long seed, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(input);
        var output = new Tensor(input.Shape);
        function.Forward(input.AsReadOnlySpan(), output.AsSpan(), columns);
        Tensor upstream = Tensor.RandomNormal(input.Shape, seed);
        var analytic = new float[input.Length];
        function.Backward(input.AsReadOnlySpan(), output.AsReadOnlySpan(), upstream.AsReadOnlySpan(), analytic, columns);

        double Objective()
        {
            function.Forward(input.AsReadOnlySpan(), output.AsSpan(), columns);
            return Dot(upstream.AsReadOnlySpan(), output.AsReadOnlySpan());
        }

        var report = new GradientCheckReport();
        CheckTensor(report, "input", input, analytic, Objective, options ?? GradientCheckOptions.Default, seed);
        return report;
    }

    /// <summary>Checks <see cref="Loss.Gradient"/> against <see cref="Loss.Compute"/> with respect to the predictions.</summary>
    /// <param name="loss">The loss.</param>
    /// <param name="predictions">Perturbed in place during the check and restored.</param>
    /// <param name="targets">The targets.</param>
    /// <param name="seed">Seed of the element sample, when the predictions are large.</param>
    /// <param name="options">Tolerances; null for the defaults.</param>
    public static GradientCheckReport CheckLoss(Loss loss, Tensor predictions, Tensor targets, long seed, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(predictions);
        var gradient = new Tensor(predictions.Shape);
        loss.Gradient(predictions, targets, gradient);
        var report = new GradientCheckReport();
        CheckTensor(report, "predictions", predictions, gradient.ToArray(), () => loss.Compute(predictions, targets), options ?? GradientCheckOptions.Default, seed);
        return report;
    }

    /// <summary>Checks <see cref="Regularizer.AddGradient"/> against <see cref="Regularizer.Penalty"/>.</summary>
    /// <param name="regularizer">The penalty.</param>
    /// <param name="weights">Perturbed in place during the check and restored.</param>
    /// <param name="seed">Seed of the element sample, when the weights are many.</param>
    /// <param name="options">Tolerances; null for the defaults.</param>
    public static GradientCheckReport CheckRegularizer(Regularizer regularizer, Tensor weights, long seed, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(regularizer);
        ArgumentNullException.ThrowIfNull(weights);
        var analytic = new float[weights.Length];
        regularizer.AddGradient(weights.AsReadOnlySpan(), analytic);
        var report = new GradientCheckReport();
        CheckTensor(report, "weights", weights, analytic, () => regularizer.Penalty(weights.AsReadOnlySpan()), options ?? GradientCheckOptions.Default, seed);
        return report;
    }

    /// <summary>
    /// The core: for (a seeded sample of) the elements of <paramref name="variable"/>, compares
    /// <paramref name="analytic"/> with the central difference of <paramref name="objective"/>, perturbing the
    /// element in place and restoring it. The step actually applied (after rounding to float) is used.
    /// </summary>
    /// <param name="report">Receives the results.</param>
    /// <param name="name">The variable's name for messages.</param>
    /// <param name="variable">The tensor the objective reads.</param>
    /// <param name="analytic">The analytic gradient, one value per element of <paramref name="variable"/>.</param>
    /// <param name="objective">Evaluates the scalar objective at the variable's current value.</param>
    /// <param name="options">Tolerances.</param>
    /// <param name="seed">Seed of the element sample.</param>
    public static void CheckTensor(GradientCheckReport report, string name, Tensor variable, ReadOnlySpan<float> analytic, Func<double> objective, GradientCheckOptions options, long seed)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(variable);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(options);
        if (analytic.Length != variable.Length)
        {
            throw new ArgumentException($"The analytic gradient of {name} has {analytic.Length} elements but the variable has {variable.Length}.", nameof(analytic));
        }

        foreach (int index in SampleIndices(variable.Length, options.MaxElementsPerVariable, seed))
        {
            Span<float> values = variable.AsSpan();
            float original = values[index];
            float plus = (float)(original + options.Step);
            float minus = (float)(original - options.Step);
            values[index] = plus;
            double fPlus = objective();
            values = variable.AsSpan();
            values[index] = minus;
            double fMinus = objective();
            values = variable.AsSpan();
            values[index] = original;
            double fCenter = objective();

            double numerical = (fPlus - fMinus) / ((double)plus - minus);
            double a = analytic[index];
            report.Checked++;
            if (!Agrees(a, numerical, options))
            {
                // A central difference errs by h² times a third derivative over 6: deep products of tanh and multiplies
                // curve enough for a step of 1e-3 to miss by a few percent. A quarter step cuts that sixteenfold.
                double refined = CentralDifference(variable, index, options.Step / 4, objective);
                if (Math.Abs(a - refined) < Math.Abs(a - numerical))
                {
                    numerical = refined;
                    report.Refined++;
                }
            }

            report.MaxAbsoluteError = Math.Max(report.MaxAbsoluteError, Math.Abs(a - numerical));
            if (Agrees(a, numerical, options))
            {
                continue;
            }

            double forward = (fPlus - fCenter) / ((double)plus - original);
            double backward = (fCenter - fMinus) / ((double)original - minus);
            bool sidesDisagree = !Agrees(forward, backward, options);
            if (options.AllowKinks && sidesDisagree && (Agrees(a, forward, options) || Agrees(a, backward, options)))
            {
                report.Kinks++;
                continue;
            }

            report.Add(new GradientMismatch(name, index, a, numerical));
        }
    }

    private static double CentralDifference(Tensor variable, int index, double step, Func<double> objective)
    {
        float original = variable.AsSpan()[index];
        float plus = (float)(original + step);
        float minus = (float)(original - step);
        variable.AsSpan()[index] = plus;
        double fPlus = objective();
        variable.AsSpan()[index] = minus;
        double fMinus = objective();
        variable.AsSpan()[index] = original;
        return (fPlus - fMinus) / ((double)plus - minus);
    }

    private static bool Agrees(double a, double b, GradientCheckOptions options) =>
        Math.Abs(a - b) <= options.AbsoluteTolerance + (options.RelativeTolerance * Math.Max(Math.Abs(a), Math.Abs(b)));

    private static int[] SampleIndices(int length, int max, long seed)
    {
        int[] all = Enumerable.Range(0, length).ToArray();
        if (length <= max)
        {
            return all;
        }

        new SeededRandom(seed).Shuffle(all);
        return all[..max];
    }

    private static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += (double)x[i] * y[i];
        }

        return sum;
    }
}
