//! Writes a synthetic household register in the import layout, for benchmarks:
//! `gen_register VILLAGES_FILE HOUSEHOLDS OUT [--gb18030 | --xlsx]` (villages: one
//! 12-digit code per line; XLSX holds at most 349,525 households of three rows).

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: gen_register VILLAGES_FILE HOUSEHOLDS OUT.csv [--gb18030]".into());
    }
    let villages_text = std::fs::read_to_string(&args[1])?;
    let villages: Vec<&str> = villages_text
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 12)
        .collect();
    if villages.is_empty() {
        return Err("no village codes in the file".into());
    }
    let n: usize = args[2].parse()?;
    let gb = args.iter().any(|a| a == "--gb18030");
    if args.iter().any(|a| a == "--xlsx") {
        let mut sink = anju_io::write::Sink::new(anju_io::Format::Xlsx, "households")?;
        sink.row(&anju_io::Kind::Households.zh_headers())?;
        let mut buf = String::new();
        for i in 0..n {
            buf.clear();
            anju_io::synth::household_rows(&mut buf, &villages, i);
            for line in buf.lines() {
                let cells: Vec<&str> = line.split(',').collect();
                sink.row(&cells)?;
            }
        }
        std::fs::write(&args[3], sink.finish()?)?;
        return Ok(());
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(&args[3])?);
    let mut write = |s: &str| -> std::io::Result<()> {
        if gb {
            out.write_all(&encoding_rs::GB18030.encode(s).0)
        } else {
            out.write_all(s.as_bytes())
        }
    };
    write(&(anju_io::synth::household_header() + "\n"))?;
    let mut buf = String::with_capacity(1 << 20);
    for i in 0..n {
        anju_io::synth::household_rows(&mut buf, &villages, i);
        if buf.len() > 1 << 20 {
            write(&buf)?;
            buf.clear();
        }
    }
    write(&buf)?;
    out.flush()?;
    Ok(())
}
