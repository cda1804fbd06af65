package checksum

import (
	"encoding/binary"
	"hash"
)

// CRC-64/NVME with a slicing-by-8 table built once.
//
// hash/crc64 keeps slicing-by-8 tables only for its ECMA and ISO
// polynomials. For any other table it builds the eight 256-entry helper
// tables anew on every Write of 2 KiB or more (and uses the byte-at-a-time
// loop below that), which costs the default checksum of every large PUT
// dearly. The update below is the same slicing-by-8 scheme with the
// tables computed at start-up.

// nvmePoly is the NVMe CRC-64 polynomial in reflected form.
const nvmePoly = 0x9a6c9329ac4bc9b5

var nvmeTables = makeNVMETables()

func makeNVMETables() *[8][256]uint64 {
	t := new([8][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ nvmePoly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[j][i] = crc
		}
	}
	return t
}

// updateNVME returns crc extended by p.
func updateNVME(crc uint64, p []byte) uint64 {
	t := nvmeTables
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^
			t[6][crc>>8&0xff] ^
			t[5][crc>>16&0xff] ^
			t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^
			t[2][crc>>40&0xff] ^
			t[1][crc>>48&0xff] ^
			t[0][crc>>56]
		p = p[8:]
	}
	for _, v := range p {
		crc = t[0][byte(crc)^v] ^ crc>>8
	}
	return ^crc
}

// nvmeDigest is a running CRC-64/NVME; it implements hash.Hash64.
type nvmeDigest struct{ crc uint64 }

var _ hash.Hash64 = (*nvmeDigest)(nil)

func newNVME() *nvmeDigest { return &nvmeDigest{} }

func (d *nvmeDigest) Size() int      { return 8 }
func (d *nvmeDigest) BlockSize() int { return 1 }
func (d *nvmeDigest) Reset()         { d.crc = 0 }
func (d *nvmeDigest) Sum64() uint64  { return d.crc }

func (d *nvmeDigest) Write(p []byte) (int, error) {
	d.crc = updateNVME(d.crc, p)
	return len(p), nil
}

func (d *nvmeDigest) Sum(in []byte) []byte {
	return binary.BigEndian.AppendUint64(in, d.crc)
}
