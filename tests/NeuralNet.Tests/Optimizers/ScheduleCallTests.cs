using System.Collections.Concurrent;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>A schedule's Rate runs once per step, on the thread that calls Step, whatever the parameters and threads.</summary>
public class ScheduleCallTests
{
    public static TheoryData<string> Optimizers => new()
    {
        "sgd", "adam", "adamw", "rmsprop", "adagrad", "adamax", "nadam", "adadelta", "lion", "ftrl", "lamb",
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Step_LargeAndSmallParametersWithWeightDecayOnThreads_CallsRateOncePerStepOnTheCallingThread(string name)
    {
        var schedule = new CountingSchedule();
        Optimizer optimizer = Create(name, schedule);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            Parallelism.MaxDegreeOfParallelism = 3;

            // 301 x 257 is updated as row blocks on the worker threads; the others on the calling thread.
            Parameter[] parameters =
            [
                new Parameter("kernel", new TensorShape(301, 257), true, null),
                new Parameter("bias", new TensorShape(67), true, null),
                new Parameter("gamma", new TensorShape(5), true, null),
                new Parameter("frozen", new TensorShape(3), false, null),
            ];
            for (int s = 0; s < 4; s++)
            {
                foreach (Parameter p in parameters)
                {
                    Tensor.RandomNormal(p.Shape, 10 + s).CopyTo(p.Gradient);
                }

                optimizer.Step(parameters);
                _ = optimizer.LearningRate; // a reading between steps is the next step's rate, not another call per step
            }

            Assert.Equal([0L, 1L, 2L, 3L, 4L], schedule.Steps.OrderBy(x => x));
            Assert.All(schedule.Threads, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
            Assert.All(parameters[0].Value.ToArray(), w => Assert.True(float.IsFinite(w)));
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void Step_WithGradientAccumulation_CallsRateOncePerCall()
    {
        // Keras evaluates the schedule at every call's _iterations: once per call, updating or not.
        var schedule = new CountingSchedule();
        var adam = new Adam { Schedule = schedule, GradientAccumulationSteps = 2, WeightDecay = 0.1f };
        var p = new Parameter("kernel", new TensorShape(67), true, null);
        for (int s = 0; s < 4; s++)
        {
            p.Gradient.Fill(1f);
            adam.Step([p]);
        }

        Assert.Equal([0L, 1L, 2L, 3L], schedule.Steps.OrderBy(x => x));
    }

    private static Optimizer Create(string name, LearningRateSchedule schedule) => name switch
    {
        "sgd" => new Sgd(momentum: 0.9f) { Schedule = schedule, WeightDecay = 0.01f },
        "adam" => new Adam { Schedule = schedule, WeightDecay = 0.01f },
        "adamw" => new AdamW { Schedule = schedule, WeightDecayExclusions = ["bias"] },
        "rmsprop" => new RmsProp { Schedule = schedule, WeightDecay = 0.01f },
        "adagrad" => new Adagrad { Schedule = schedule, WeightDecay = 0.01f },
        "adamax" => new Adamax { Schedule = schedule, WeightDecay = 0.01f },
        "nadam" => new Nadam { Schedule = schedule, WeightDecay = 0.01f },
        "adadelta" => new Adadelta { Schedule = schedule, WeightDecay = 0.01f },
        "lion" => new Lion { Schedule = schedule, WeightDecay = 0.01f },
        "ftrl" => new Ftrl { Schedule = schedule, WeightDecay = 0.01f },
        "lamb" => new Lamb { Schedule = schedule, WeightDecay = 0.01f },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private sealed class CountingSchedule : LearningRateSchedule
    {
        public ConcurrentBag<long> Steps { get; } = [];

        public ConcurrentBag<int> Threads { get; } = [];

        public override string Name => "Counting";

        public override double Rate(long step)
        {
            Steps.Add(step);
            Threads.Add(Environment.CurrentManagedThreadId);
            return 0.01 / (step + 1);
        }

        public override Config GetConfig() => new();
    }
}
