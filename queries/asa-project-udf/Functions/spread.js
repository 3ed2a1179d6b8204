// The difference between the largest and the smallest value of a window (ASA's UDA protocol).
function main() {
    this.init = function () {
        this.low = null;
        this.high = null;
    };
    this.accumulate = function (value, timestamp) {
        if (value === null) return;
        if (this.low === null || value < this.low) this.low = value;
        if (this.high === null || value > this.high) this.high = value;
    };
    this.computeResult = function () {
        return this.low === null ? null : this.high - this.low;
    };
}
