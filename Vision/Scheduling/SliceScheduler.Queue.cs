namespace FaceOrleans.Vision;

// The queue's parts: a tenant's line of waiting inputs, one waiting input, and one caller's request.
public sealed partial class SliceScheduler
{
    private sealed class TenantQueue
    {
        public TenantQueue(string tenant)
        {
            Tenant = tenant;
            Place = new LinkedListNode<TenantQueue>(this);
        }

        public string Tenant { get; }

        public LinkedList<Pending> Items { get; } = new();

        /// <summary>This tenant's node in the scheduler's line, linked only while it has inputs waiting.</summary>
        public LinkedListNode<TenantQueue> Place { get; }
    }

    private sealed class TenantRunner(SliceScheduler scheduler, string tenant) : IModelRunner
    {
        public Task<TOutput[]> RunAsync<TInput, TOutput>(IBatchModel<TInput, TOutput> model, IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default) =>
            scheduler.RunAsync(tenant, model, inputs, cancellationToken);
    }

    /// <summary>What inputs must have in common to share one model call: the same model instance and input shape.</summary>
    private readonly record struct CallKey(object Model, InputShape Shape);

    /// <summary>One input waiting for its model call.</summary>
    private abstract class Pending(CallKey call, int maxBatchSize, long enqueuedAt)
    {
        protected CallKey Call { get; } = call;

        public long EnqueuedAt { get; } = enqueuedAt;

        public int MaxBatchSize { get; } = maxBatchSize;

        public TenantQueue? Queue { get; set; }

        public LinkedListNode<Pending>? Node { get; set; }

        public bool SharesCallWith(Pending other) => Call == other.Call;

        /// <summary>Runs the batch (inputs of this one's model and shape) as one model call and answers each request; false when it threw.</summary>
        public abstract bool RunBatch(List<Pending> batch);
    }

    private sealed class Pending<TInput, TOutput> : Pending
    {
        private readonly Request<TOutput> _request;
        private readonly int _index;
        private readonly TInput _input;

        public Pending(Request<TOutput> request, int index, IBatchModel<TInput, TOutput> model, TInput input, InputShape shape, long enqueuedAt)
            : base(new CallKey(model, shape), model.MaxBatchSize, enqueuedAt)
        {
            (_request, _index, _input) = (request, index, input);
        }

        public override bool RunBatch(List<Pending> batch)
        {
            var members = batch.Cast<Pending<TInput, TOutput>>().ToArray();
            try
            {
                // The key holds the model this input was queued with; the batch shares it by construction.
                var outputs = ((IBatchModel<TInput, TOutput>)Call.Model).RunBatch(members.Select(m => m._input).ToArray());
                for (var k = 0; k < members.Length; k++)
                {
                    members[k]._request.Deliver(members[k]._index, outputs[k]);
                }

                return true;
            }
            catch (Exception ex)
            {
                foreach (var member in members)
                {
                    member._request.Fail(ex);
                }

                return false;
            }
        }
    }

    /// <summary>One caller's inputs: answered when the last has run, failed by the first failure, or cancelled.</summary>
    private sealed class Request<TOutput>(SliceScheduler scheduler, int count)
    {
        // Continuations must not run inline on an inference thread, or a caller's decoding would hold the slice.
        private readonly TaskCompletionSource<TOutput[]> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TOutput[] _outputs = new TOutput[count];
        private int _remaining = count;
        private int _ended;
        private volatile bool _cancelled;
        private CancellationToken _cancelledBy;
        private CancellationTokenRegistration _registration;

        public Task<TOutput[]> Task => _completion.Task;

        public Pending[] Items { get; set; } = [];

        /// <summary>
        /// Cancelling the token takes the request's waiting inputs out of the queue; with none in a model call the
        /// caller is answered at once, else when those calls end (their inputs are in use until then). A request all
        /// of whose inputs are already in a model call is answered as if not cancelled.
        /// </summary>
        public void CancelWith(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((Request<TOutput>)state!).Cancel(token), this);
            }
        }

        public void Deliver(int index, TOutput output)
        {
            _outputs[index] = output;
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                End();
            }
        }

        public void Fail(Exception exception)
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                _registration.Dispose();
                scheduler.Count(RequestEnd.Failed);
                _completion.TrySetException(exception);
            }
        }

        private void Cancel(CancellationToken token)
        {
            var withdrawn = scheduler.Withdraw(Items);
            if (withdrawn == 0)
            {
                return; // every input is in or past its model call: the answer stands
            }

            // Withdrawn inputs never deliver, so only this can bring the count to zero now.
            _cancelledBy = token;
            _cancelled = true;
            if (Interlocked.Add(ref _remaining, -withdrawn) == 0)
            {
                End();
            }
        }

        private void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) != 0)
            {
                return;
            }

            _registration.Dispose();
            if (_cancelled)
            {
                scheduler.Count(RequestEnd.Cancelled);
                _completion.TrySetCanceled(_cancelledBy);
            }
            else
            {
                scheduler.Count(RequestEnd.Completed);
                _completion.TrySetResult(_outputs);
            }
        }
    }
}
