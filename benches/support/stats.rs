//! Figures for the bench scripts: mean, p50, p90, p95 and max of a set of timings.

use std::time::Duration;

pub fn print(name: &str, mut d: Vec<Duration>) {
    if d.is_empty() {
        println!("{name:<34} no samples");
        return;
    }
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    let mean = d.iter().sum::<Duration>() / d.len() as u32;
    println!(
        "{name:<34} mean {:6.2} ms   p50 {:6.2} ms   p90 {:6.2} ms   p95 {:6.2} ms   max {:6.2} ms",
        ms(mean),
        ms(d[d.len() / 2]),
        ms(d[d.len() * 90 / 100]),
        ms(d[d.len() * 95 / 100]),
        ms(d[d.len() - 1])
    );
}
