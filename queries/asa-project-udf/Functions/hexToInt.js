// Decodes a hexadecimal string ("1F") to its integer value (31); null stays null.
function hexToInt(hexValue) {
    return hexValue === null ? null : parseInt(hexValue, 16);
}
