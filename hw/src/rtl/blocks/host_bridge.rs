//! The MMIO bridge: uncached device requests from the cores, decoded by the memory map of
//! `hw/src/memmap.rs`: the CLINT window goes to the on-chip CLINT, the test finisher, UART and
//! virtio-mmio windows are forwarded to the host (the FPGA shell's host link, which runs the
//! simulator's device models), anything else answers with `resp_err`.
//!
//! ```text
//!  req (valid/ready, write, addr, wdata, size, id) ─► IDLE ─┬─ CLINT: clint_req_* (1 cycle);
//!                                                           │   loads wait for clint_resp_valid
//!                                                           ├─ host window: host_req_* until
//!                                                           │   host_req_ready, then wait for
//!                                                           │   host_resp_valid (loads and stores)
//!                                                           └─ unmapped: resp_err
//!  resp (valid for one cycle, data, id, err) ◄──────────── RESP
//! ```
//!
//! One request at a time, in order. Requests and answers carry values (the low `size` bytes),
//! as the host port does; the bridge moves a word at `addr[2] = 1` into the CLINT's upper
//! 32-bit lane and its answer back.

use crate::memmap::{
    CLINT_BASE, CLINT_SIZE, FINISHER_BASE, FINISHER_SIZE, UART_BASE, UART_SIZE, VIRTIO_BASE,
    VIRTIO_SLOTS, VIRTIO_STRIDE,
};
use crate::rtl::{cat, lit, zeros, Design, ModRef, Params, RtlError};

/// Builds (or reuses) `mmio_bridge_i<ID>` for request ids of `id_bits` bits.
pub fn mmio_bridge(d: &mut Design, id_bits: u32) -> Result<ModRef, RtlError> {
    let ib = id_bits.max(1);
    d.build(
        &format!("mmio_bridge_i{ib}"),
        module_path!(),
        Params::new().with("id_bits", ib),
        |m| {
            m.doc("MMIO bridge: CLINT on chip, finisher/UART/virtio forwarded to the host.");
            let valid = m.input("req_valid", 1);
            let write = m.input("req_write", 1);
            let addr = m.input("req_addr", 32);
            let wdata = m.input("req_wdata", 64);
            let size = m.input("req_size", 2);
            let id = m.input("req_id", ib);
            let clint_rv = m.input("clint_resp_valid", 1);
            let clint_rd = m.input("clint_resp_data", 64);
            let host_ready = m.input("host_req_ready", 1);
            let host_rv = m.input("host_resp_valid", 1);
            let host_rd = m.input("host_resp_data", 64);
            let within = |base: u64, size: u64| {
                addr.ge(lit(32, u128::from(base))) & addr.lt(lit(32, u128::from(base + size)))
            };
            let is_clint = m.wire_from("is_clint", within(CLINT_BASE, CLINT_SIZE));
            let is_host = m.wire_from(
                "is_host",
                within(FINISHER_BASE, FINISHER_SIZE)
                    | within(UART_BASE, UART_SIZE)
                    | within(VIRTIO_BASE, VIRTIO_STRIDE * VIRTIO_SLOTS),
            );
            const IDLE: u128 = 0;
            const CLINT: u128 = 1;
            const HREQ: u128 = 2;
            const HWAIT: u128 = 3;
            const RESP: u128 = 4;
            let st = m.reg("state", 3, IDLE);
            let at = |v: u128| st.eq(lit(3, v));
            let accept = m.wire_from("accept", at(IDLE) & &valid);
            m.output_from("req_ready", at(IDLE));
            let id_q = m.reg("id_q", ib, 0);
            let write_q = m.reg("write_q", 1, 0);
            let addr_q = m.reg("addr_q", 32, 0);
            let wdata_q = m.reg("wdata_q", 64, 0);
            let size_q = m.reg("size_q", 2, 0);
            let data_q = m.reg("data_q", 64, 0);
            let err_q = m.reg("err_q", 1, 0);
            for (r, v) in [
                (&id_q, &id),
                (&write_q, &write),
                (&addr_q, &addr),
                (&wdata_q, &wdata),
                (&size_q, &size),
            ] {
                m.next_when(r, &accept, v);
            }
            m.output_from("clint_req_valid", &accept & &is_clint);
            m.output_from("clint_req_write", &write);
            m.output_from("clint_req_addr", addr.slice(21, 0));
            // Requests carry values (as the host port does); the CLINT's registers sit in 64-bit
            // lanes, so a word at `addr[2] = 1` moves to the upper half and back.
            m.output_from(
                "clint_req_wdata",
                addr.bit(2)
                    .mux(cat([wdata.slice(31, 0), zeros(32)]), wdata.expr()),
            );
            m.output_from("clint_req_size", &size);
            m.output_from("host_req_valid", at(HREQ));
            m.output_from("host_req_write", &write_q);
            m.output_from("host_req_addr", &addr_q);
            m.output_from("host_req_wdata", &wdata_q);
            m.output_from("host_req_size", &size_q);
            let clint_done = at(CLINT) & &clint_rv;
            let host_done = at(HWAIT) & &host_rv;
            m.seq(|q| {
                q.when(&accept, |q| {
                    q.set(
                        &st,
                        is_clint.mux(
                            write.mux(lit(3, RESP), lit(3, CLINT)),
                            is_host.mux(lit(3, HREQ), lit(3, RESP)),
                        ),
                    );
                    q.set(&err_q, !&is_clint & !&is_host);
                    q.set(&data_q, zeros(64));
                });
                q.when(clint_done.clone(), |q| {
                    q.set(&st, lit(3, RESP));
                    q.set(
                        &data_q,
                        addr_q.bit(2).mux(clint_rd.shr(lit(6, 32)), clint_rd.expr()),
                    );
                });
                q.when(at(HREQ) & &host_ready, |q| q.set(&st, lit(3, HWAIT)));
                q.when(host_done.clone(), |q| {
                    q.set(&st, lit(3, RESP));
                    q.set(&data_q, &host_rd);
                });
                q.when(at(RESP), |q| q.set(&st, lit(3, IDLE)));
            });
            m.output_from("resp_valid", at(RESP));
            m.output_from("resp_data", &data_q);
            m.output_from("resp_id", &id_q);
            m.output_from("resp_err", &err_q);
            Ok(())
        },
    )
}
