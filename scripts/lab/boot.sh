#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh RESULTS_DIR: boot $KERNEL under QEMU with NVDIMMS (2 to 4) emulated
# NVDIMMs of NVDIMM_SIZE and
# run the plan in RESULTS_DIR/plan inside it (scripts/lab/guest/run.sh).
# Watches RESULTS_DIR/progress and kills a guest that stops making progress:
# BOOT_TIMEOUT to reach userspace, SETUP_TIMEOUT for the namespaces and
# mounts, and each test's own timeout (plus a minute of grace), all times
# TIMEOUT_SCALE (4 for a VARIANT kernel, else 1).
# Exit: 0 when the guest finished the plan, 1 otherwise (see RESULTS_DIR).
set -eu
. "$(dirname "$0")/lib.sh"

res=$1
# A debug kernel (KASAN, lockdep) runs several times slower under TCG.
TIMEOUT_SCALE=${TIMEOUT_SCALE:-$([ -n "$VARIANT" ] && echo 4 || echo 1)}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-$((300 * TIMEOUT_SCALE))}
SETUP_TIMEOUT=${SETUP_TIMEOUT:-$((300 * TIMEOUT_SCALE))}
NVDIMM_SIZE=${NVDIMM_SIZE:-1G}
NVDIMMS=${NVDIMMS:-2}
GUEST_MEM=${GUEST_MEM:-2G}
# Room in the guest's physical address space for RAM plus the NVDIMMs.
MAXMEM=${MAXMEM:-8G}

img=$(kernel_image)
initrd=$(build_dir)/initramfs.cpio.gz
[ -f "$img" ] || die "no kernel image at $img"
[ -f "$initrd" ] || die "no initramfs at $initrd"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (make deps)"

# NVDIMM backing files: sparse, new for every boot so that each boot starts
# from raw namespaces.  No label area: one namespace per region is enough.
# Each boot has its own, so that two lab runs never share one.
mkdir -p "$DAXGUP_O/nvdimm"
nv=$(mktemp -d "$DAXGUP_O/nvdimm/boot.XXXXXX")
trap 'rm -rf "$nv"' EXIT
nvargs=()
for i in $(seq 0 $((NVDIMMS - 1))); do
	truncate -s "$NVDIMM_SIZE" "$nv/nvdimm$i"
	nvargs+=(-object "memory-backend-file,id=mem$i,share=on,mem-path=$nv/nvdimm$i,size=$NVDIMM_SIZE,align=2M"
		 -device "nvdimm,id=nvdimm$i,memdev=mem$i")
done

accel=$("$DAXGUP_TOP/scripts/lab/accel.sh")
cpu=max
[ "$accel" = kvm ] && cpu=host
[ "$accel" = tcg ] && accel=tcg,thread=multi

# Boot options a test of its own boot asks for in its suite line:
#   DAXGUP_BOOT_MEMMAP=SIZE!ADDR  a legacy pmem region (memmap=) as well
#   DAXGUP_BOOT_MODULES=installed the module root dkms installed daxgup_pmem
#                                 into (scripts/lab/dkms.sh), drivers loaded
#                                 by modalias with its daxgup.conf
#   DAXGUP_BOOT_IOMMU=edu         a q35 machine with an emulated Intel IOMMU
#                                 (DMA and interrupt remapping: type1
#                                 wants isolated MSIs; with KVM that needs
#                                 the split irqchip)
#                                 and QEMU's edu PCI device, a DMA engine
#                                 for VFIO to drive
boot_opt() { sed -n "s/.*\<DAXGUP_BOOT_$1=\([^ ]*\).*/\1/p" "$res/plan" | head -n 1; }
kmods=$(modules_root)
memmap=$(boot_opt MEMMAP)
machine=(-machine pc,nvdimm=on)
case $(boot_opt IOMMU) in
'') ;;
edu) machine=(-machine q35,nvdimm=on,kernel-irqchip=split -device intel-iommu,intremap=on -device edu) ;;
*) die "DAXGUP_BOOT_IOMMU=$(boot_opt IOMMU): expected edu" ;;
esac
case $(boot_opt MODULES) in
'') ;;
installed) kmods=$(module_dir)/installed ;;
*) die "DAXGUP_BOOT_MODULES=$(boot_opt MODULES): expected installed" ;;
esac
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 daxgup.results=$res"
cmdline+=" daxgup.run=$DAXGUP_TOP/scripts/lab/guest/run.sh daxgup.kmods=$kmods"
[ -z "$(boot_opt MODULES)" ] || cmdline+=" daxgup.pmem=modalias"
[ -z "$memmap" ] || cmdline+=" memmap=$memmap"
# The host drivers' devices stay identity-mapped; vfio-pci's get a domain.
[ -z "$(boot_opt IOMMU)" ] || cmdline+=" intel_iommu=on iommu=pt"
cmdline+=" daxgup.keep=$DAXGUP_TOP,$DAXGUP_O"
: >"$res/progress"
qemu-system-x86_64 -name daxgup -nodefaults "${machine[@]}" -accel "$accel" -cpu "$cpu" -smp 2 \
	-m "$GUEST_MEM,slots=4,maxmem=$MAXMEM" "${nvargs[@]}" \
	-kernel "$img" -initrd "$initrd" -append "$cmdline" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$res,mount_tag=results,security_model=none,multidevs=remap" \
	-display none -monitor none -serial "file:$res/console.log" -no-reboot \
	</dev/null >"$res/qemu.log" 2>&1 &
qpid=$!

start=$(date +%s)
deadline=$((start + BOOT_TIMEOUT))
state=boot
seen=0
while kill -0 "$qpid" 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	mapfile -t lines <"$res/progress"
	while [ "$seen" -lt "${#lines[@]}" ]; do
		set -- ${lines[$seen]}
		seen=$((seen + 1))
		case $1 in
		ready) log "    guest userspace after $(($(date +%s) - start)) s (guest uptime $2 s)"
		       state=setup; deadline=$((now + SETUP_TIMEOUT)) ;;
		setup-done) log "    namespaces and DAX mounts ready"; state=idle; deadline=$((now + 600)) ;;
		setup-failed) log "    guest setup failed"; state=done; deadline=$((now + 60)) ;;
		start) state="test $2"; deadline=$((now + $3 + 60)); t0=$now ;;
		end) log "    $(if [ "$3" = 0 ]; then echo done; else echo "exit $3"; fi): $2 ($((now - t0)) s)"
		     state=idle; deadline=$((now + 600)) ;;
		done) state=done; deadline=$((now + 60)) ;;
		esac
	done
	if [ "$now" -gt "$deadline" ]; then
		log "    timeout during $state: stopping the guest"
		echo "timeout $state" >>"$res/progress"
		kill "$qpid" 2>/dev/null || true
		sleep 2
		kill -9 "$qpid" 2>/dev/null || true
		break
	fi
done
wait "$qpid" 2>/dev/null || true
echo "$(($(date +%s) - start))" >"$res/boot-seconds"
grep -q '^done' "$res/progress"
