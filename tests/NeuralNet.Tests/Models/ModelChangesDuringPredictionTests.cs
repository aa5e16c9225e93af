using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Models;

// The methods that change a model (Sequential.Add and Build, SetWeights, Compile) run alone: they wait for a running
// prediction, which finishes on the model as it was, and for a running Fit. A Hold layer stops a prediction inside its
// forward pass until the test lets it go.
public class ModelChangesDuringPredictionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(300);

    [Fact]
    public void Add_ToABuiltModelWhileAPredictionRuns_WaitsForIt()
    {
        var hold = new Hold();
        var model = new Sequential([new InputLayer(3), hold, new Dense(2, ActivationFunction.Tanh)], seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 3), 5);
        float[] expected = model.Predict(x).ToArray();

        using var running = new HeldPrediction(hold, () => model.Predict(x).ToArray());
        bool added = running.RunBeside(() => model.Add(new Dense(5)));

        Assert.False(added, "Add changed the graph under a running prediction");
        Assert.Equal(expected, running.Result());
        running.JoinBeside();
        Assert.Equal(5, model.Predict(x).Shape[1]);
    }

    [Fact]
    public void SetWeights_WhileAPredictionRuns_WaitsForItWhichSeesTheOldWeights()
    {
        var hold = new Hold();
        var model = new Sequential([new InputLayer(3), hold, new Dense(2, ActivationFunction.Tanh)], seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 3), 5);
        float[] expected = model.Predict(x).ToArray();
        Tensor[] zeros = [.. model.GetWeights().Select(w => new Tensor(w.Shape))];

        using var running = new HeldPrediction(hold, () => model.Predict(x).ToArray());
        bool set = running.RunBeside(() => model.SetWeights(zeros));

        Assert.False(set, "SetWeights changed the weights under a running prediction");
        Assert.Equal(expected, running.Result());
        running.JoinBeside();
        Assert.All(model.Predict(x).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Compile_WhileAPredictionRuns_WaitsForIt()
    {
        var hold = new Hold();
        var model = new Sequential([new InputLayer(3), hold, new Dense(2, ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 3), 5);
        var sgd = new Sgd();

        using var running = new HeldPrediction(hold, () => model.Predict(x).ToArray());
        bool compiled = running.RunBeside(() => model.Compile(sgd, new MeanSquaredError()));

        Assert.False(compiled, "Compile ran beside a prediction");
        running.Result();
        running.JoinBeside();
        Assert.Same(sgd, model.Optimizer);
    }

    [Fact]
    public void Compile_FromAnotherThreadDuringFit_WaitsForFitToEnd()
    {
        var model = new Sequential([new InputLayer(3), new Dense(2, ActivationFunction.Softmax)], seed: 3);
        var adam = new Adam();
        model.Compile(adam, new CategoricalCrossEntropy());
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 3), 5);
        Tensor y = new(8, 2);
        for (int i = 0; i < 8; i++)
        {
            y[i, i % 2] = 1;
        }

        using var training = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Optimizer? seenAtTheEnd = null;
        var callback = new OnTrainBeginAndEnd(
            () =>
            {
                training.Set();
                Assert.True(release.Wait(TimeSpan.FromSeconds(30)));
            },
            () => seenAtTheEnd = model.Optimizer);
        var fit = new Thread(() => model.Fit(x, y, epochs: 1, batchSize: 4, callbacks: [callback], verbose: 0));
        fit.Start();
        Assert.True(training.Wait(TimeSpan.FromSeconds(30)), "Fit did not start");

        var compile = new Thread(() => model.Compile(new Sgd(), new MeanSquaredError()));
        compile.Start();
        bool compiledDuringFit = compile.Join(Patience);
        release.Set();
        fit.Join();
        compile.Join();

        Assert.False(compiledDuringFit, "Compile swapped the optimizer while Fit was running");
        Assert.Same(adam, seenAtTheEnd);
        Assert.Equal(2, adam.Iterations);
        Assert.IsType<Sgd>(model.Optimizer);
    }

    /// <summary>A prediction on its own thread, stopped in a <see cref="Hold"/> layer until its result is asked for.</summary>
    private sealed class HeldPrediction : IDisposable
    {
        private readonly Hold _hold;
        private readonly Thread _thread;
        private Thread? _beside;
        private float[]? _result;
        private Exception? _error;

        public HeldPrediction(Hold hold, Func<float[]> predict)
        {
            _hold = hold;
            hold.Arm();
            _thread = new Thread(() =>
            {
                try
                {
                    _result = predict();
                }
                catch (Exception e)
                {
                    _error = e;
                }
            });
            _thread.Start();
            Assert.True(hold.Reached.Wait(TimeSpan.FromSeconds(30)), "the prediction did not start");
        }

        /// <summary>Starts <paramref name="change"/> on another thread; returns whether it finished while the prediction was held.</summary>
        public bool RunBeside(Action change)
        {
            _beside = new Thread(() => change());
            _beside.Start();
            return _beside.Join(Patience);
        }

        /// <summary>Lets the prediction go and returns its result.</summary>
        public float[] Result()
        {
            _hold.Release();
            _thread.Join();
            Assert.Null(_error);
            return _result!;
        }

        public void JoinBeside() => _beside?.Join();

        public void Dispose()
        {
            _hold.Release();
            _thread.Join();
            _beside?.Join();
        }
    }

    /// <summary>Passes its input through; once armed, the next inference forward pass waits until released.</summary>
    private sealed class Hold() : Layer(null)
    {
        private readonly ManualResetEventSlim _release = new(initialState: true);
        private int _armed;

        public ManualResetEventSlim Reached { get; } = new();

        public override string DefaultNamePrefix => "hold";

        public void Arm()
        {
            Reached.Reset();
            _release.Reset();
            Volatile.Write(ref _armed, 1);
        }

        public void Release() => _release.Set();

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training)
        {
            if (!training && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Reached.Set();
                Assert.True(_release.Wait(TimeSpan.FromSeconds(30)), "the test did not release the prediction");
            }

            return input;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }

    private sealed class OnTrainBeginAndEnd(Action begin, Action end) : Callback
    {
        public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => begin();

        public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs) => end();
    }
}
